using BladeProvisioner.Appliance.Hosting;
using BladeProvisioner.Boot.Endpoints;
using BladeProvisioner.Data;
using BladeProvisioner.Dhcp;
using BladeProvisioner.Dhcp.Api;
using BladeProvisioner.Jobs;
using BladeProvisioner.Power;
using BladeProvisioner.Storage.Images;
using BladeProvisioner.Storage.Targets;
using BladeProvisioner.Storage.Volumes;
using BladeProvisioner.Tftp;
using BladeProvisioner.Web;

var builder = WebApplication.CreateBuilder(args);

builder.AddApplianceDefaults();
builder.AddData();
builder.AddJobs();
builder.AddImages();
builder.AddVolumes();
builder.AddTargets();
builder.AddPower();
builder.AddBoot();
builder.AddDhcp();
builder.AddTftp();
builder.AddWebApi();

var app = builder.Build();

app.UseApplianceDefaults();
app.MapHealthAndMetrics();
app.MapBootEndpoints();
app.MapApplianceApi();
app.MapDhcpApi();

app.Run();

public partial class Program;
