using BladeProvisioner.Appliance.Hosting;
using BladeProvisioner.Appliance.Hosting.Listeners;
using BladeProvisioner.Boot.Endpoints;
using BladeProvisioner.Data;
using BladeProvisioner.Dhcp;
using BladeProvisioner.Dhcp.Api;
using BladeProvisioner.Jobs;
using BladeProvisioner.Power;
using BladeProvisioner.Provisioning;
using BladeProvisioner.Storage;
using BladeProvisioner.Tftp;
using BladeProvisioner.Web;
using BladeProvisioner.Web.Auth;

if (UsersCommand.Matches(args))
{
    Environment.ExitCode = await UsersCommand.RunAsync(args, Console.In, Console.Out);
    return;
}

var builder = WebApplication.CreateBuilder(args);

builder.AddApplianceDefaults();
builder.AddApplianceListeners();
builder.AddData();
builder.AddJobs();
builder.AddStorage();
builder.AddPower();
builder.AddProvisioning();
builder.AddBoot();
builder.AddDhcp();
builder.AddTftp();
builder.AddWebApi();
builder.AddApplianceAuth();
builder.AddWebUi();

var app = builder.Build();

app.UseApplianceListeners();
app.UseApplianceDefaults();
app.UseApplianceAuth();
app.MapHealthAndMetrics();
app.MapBootEndpoints();
app.MapApplianceApi();
app.MapDhcpApi();
app.MapWebUi();

app.Run();

public partial class Program;
