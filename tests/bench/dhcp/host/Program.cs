using BladeProvisioner.Data.Migrations;
using BladeProvisioner.Dhcp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

// Usage: BladeProvisioner.Dhcp.BenchHost --ConnectionStrings:Appliance=<npgsql> --Dhcp:Enabled=true --Dhcp:Interfaces:0:Name=... (as the appliance)
var builder = Host.CreateApplicationBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Logging.AddFilter("BladeProvisioner.Dhcp.Hosting", LogLevel.Information);
var connectionString = builder.Configuration.GetConnectionString("Appliance")
    ?? throw new InvalidOperationException("ConnectionStrings:Appliance is required.");
var dataSource = NpgsqlDataSource.Create(connectionString);
builder.Services.AddSingleton(dataSource);
builder.AddDhcp();
using var host = builder.Build();
await new MigrationRunner(NullLogger<MigrationRunner>.Instance).MigrateAsync(dataSource, CancellationToken.None);
await host.RunAsync();
