using System.Globalization;
using BladeProvisioner.Core.Blades;
using BladeProvisioner.Core.Configuration;
using BladeProvisioner.Core.Naming;
using BladeProvisioner.Core.Readiness;
using BladeProvisioner.Core.Security;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Data.Blades;
using BladeProvisioner.Data.Migrations;
using BladeProvisioner.Data.Postgres;
using BladeProvisioner.Data.Security;
using BladeProvisioner.Data.Timeline;
using BladeProvisioner.Platform.Processes;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace BladeProvisioner.Data;

public static class DataServiceCollectionExtensions
{
    public const string ConnectionStringName = "Appliance";

    /// <summary>
    /// PostgreSQL (external or embedded), EF Core, migrations at start, secrets protection, the timeline writer and the
    /// blade directory. Call first: the database start-up must run before every other hosted service.
    /// </summary>
    public static IHostApplicationBuilder AddData(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddApplianceCore();
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        var appliance = builder.Configuration.GetSection(ApplianceOptions.Section).Get<ApplianceOptions>() ?? new ApplianceOptions();
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            var dbOptions = builder.Configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
            var root = appliance.PathUnderData("postgres");
            services.AddSingleton(sp => new EmbeddedPostgres(
                root,
                dbOptions.PostgresBinDirectory,
                dbOptions.EmbeddedRunAsUser,
                sp.GetRequiredService<IProcessRunner>(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger<EmbeddedPostgres>()));
            connectionString = EmbeddedConnectionString(root);

            // Later modules (the job store) read the effective connection string from configuration.
            builder.Configuration[$"ConnectionStrings:{ConnectionStringName}"] = connectionString;
        }

        var maxPool = builder.Configuration.GetValue($"{DatabaseOptions.Section}:MaxPoolSize", 50);
        var csb = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = maxPool };
        services.AddSingleton(sp => new NpgsqlDataSourceBuilder(csb.ConnectionString)
            .UseLoggerFactory(sp.GetRequiredService<ILoggerFactory>())
            .Build());
        services.AddDbContextFactory<ApplianceDbContext>((sp, o) => o.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>()));
        services.AddSingleton<MigrationRunner>();

        // Hosted services start in registration order: the database comes first.
        services.AddHostedService<DatabaseStartup>();
        services.AddReadinessGate(DatabaseStartup.Gate);

        services.AddDataProtection()
            .SetApplicationName("BladeProvisioner")
            .PersistKeysToFileSystem(new DirectoryInfo(builder.Configuration["DataProtection:KeyDirectory"] ?? appliance.PathUnderData("keys")));
        services.AddSingleton<ISecretProtector, DataProtectionSecretProtector>();

        services.AddSingleton<TimelineWriter>();
        services.AddSingleton<ITimeline>(sp => sp.GetRequiredService<TimelineWriter>());
        services.AddHostedService(sp => sp.GetRequiredService<TimelineWriter>());
        services.AddSingleton<IBladeDirectory, BladeDirectory>();
        return builder;
    }

    /// <summary>
    /// Declares a precondition of readiness at composition time (before anything can report ready), e.g. "targets" for
    /// the first reconcile. The module opens it through <see cref="ApplianceReadiness.Open"/>.
    /// </summary>
    public static IServiceCollection AddReadinessGate(this IServiceCollection services, string gate)
    {
        ArgumentNullException.ThrowIfNull(services);
        var readiness = services.FirstOrDefault(d => d.ServiceType == typeof(ApplianceReadiness))?.ImplementationInstance as ApplianceReadiness;
        if (readiness is null)
        {
            readiness = new ApplianceReadiness();
            services.AddSingleton(readiness);
        }

        readiness.Register(gate);
        return services;
    }

    /// <summary>Services every module can rely on: clock, process runner, appliance options, IQN factory.</summary>
    public static IServiceCollection AddApplianceCore(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IProcessRunner, ProcessRunner>();
        services.AddOptions<ApplianceOptions>().BindConfiguration(ApplianceOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<ApplianceOptions>>().Value;
            var date = DateOnly.ParseExact(o.NamingAuthorityDate + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture);
            return new IqnFactory(o.Domain, date);
        });
        return services;
    }

    internal static string EmbeddedConnectionString(string root) => new NpgsqlConnectionStringBuilder
    {
        Host = Path.Combine(root, "run"),
        Port = 5432,
        Username = "postgres",
        Database = EmbeddedPostgres.DatabaseName,
    }.ConnectionString;
}
