using BladeProvisioner.Appliance.Hosting;
using BladeProvisioner.Data;
using BladeProvisioner.Jobs;
using BladeProvisioner.Storage.Images;
using BladeProvisioner.Web;

var builder = WebApplication.CreateBuilder(args);

builder.AddApplianceDefaults();
builder.AddData();
builder.AddJobs();
builder.AddImages();
builder.AddWebApi();

var app = builder.Build();

app.UseApplianceDefaults();
app.MapHealthAndMetrics();
app.MapApplianceApi();

app.Run();
public partial class Program;
