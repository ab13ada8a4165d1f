using BladeProvisioner.Core.Readiness;
using BladeProvisioner.Tftp;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// The TFTP module exactly as the appliance wires it (AddTftp + readiness gate), configured from the command line:
//   TftpBenchHost --Tftp:Enabled=true --Tftp:Interfaces:0=eth1 --Tftp:Root=/srv/tftp
var builder = Host.CreateApplicationBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.AddTftp();
using var host = builder.Build();
var readiness = host.Services.GetRequiredService<ApplianceReadiness>();
readiness.Register("bench");
readiness.Open("bench");
await host.RunAsync();
