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
        // What this module uses itself; the other modules register the same with TryAdd.
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IProcessRunner, ProcessRunner>();
        services.AddOptions<ApplianceOptions>().BindConfiguration(ApplianceOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(sp => IqnFactory.For(sp.GetRequiredService<IOptions<ApplianceOptions>>().Value));
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddOptions<KeyRingOptions>().BindConfiguration(KeyRingOptions.Section);

        // Composition needs some settings now; the same sections are validated at start.
        var appliance = builder.Configuration.GetSection(ApplianceOptions.Section).Get<ApplianceOptions>() ?? new ApplianceOptions();
        var database = builder.Configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        var keyRing = builder.Configuration.GetSection(KeyRingOptions.Section).Get<KeyRingOptions>() ?? new KeyRingOptions();
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            var root = appliance.PathUnderData("postgres");
            services.AddSingleton(sp => new EmbeddedPostgres(
                root,
                database.PostgresBinDirectory,
                database.EmbeddedRunAsUser,
                sp.GetRequiredService<IProcessRunner>(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger<EmbeddedPostgres>()));
            connectionString = EmbeddedConnectionString(root);

            // Later modules (the job store) read the effective connection string from configuration.
            builder.Configuration[$"ConnectionStrings:{ConnectionStringName}"] = connectionString;
        }

        var csb = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = database.MaxPoolSize };
        services.AddSingleton(sp => new NpgsqlDataSourceBuilder(csb.ConnectionString)
            .UseLoggerFactory(sp.GetRequiredService<ILoggerFactory>())
            .Build());
        services.AddDbContextFactory<ApplianceDbContext>((sp, o) => o.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>()));
        services.AddSingleton<MigrationRunner>();

        // Hosted services start in registration order: the database comes first.
        services.AddHostedService<DatabaseStartup>();
        services.TryAddSingleton<ApplianceReadiness>();
        services.AddSingleton(new ReadinessGate(DatabaseStartup.Gate));
        services.AddSingleton<IReadinessProbe, DatabaseReadinessProbe>();

        KeyRingSetup.AddKeyRing(services, keyRing, appliance.PathUnderData("keys"));
        services.AddSingleton<ISecretProtector, DataProtectionSecretProtector>();

        services.AddSingleton<TimelineWriter>();
        services.AddSingleton<ITimeline>(sp => sp.GetRequiredService<TimelineWriter>());
        services.AddHostedService(sp => sp.GetRequiredService<TimelineWriter>());
        services.AddOptions<EnrolmentOptions>().BindConfiguration(EnrolmentOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<EnrolmentGate>();
        services.AddSingleton<IBladeDirectory, BladeDirectory>();
        return builder;
    }

    internal static string EmbeddedConnectionString(string root) => new NpgsqlConnectionStringBuilder
    {
        Host = Path.Combine(root, "run"),
        Port = 5432,
        Username = "postgres",
        Database = EmbeddedPostgres.DatabaseName,
    }.ConnectionString;
}
