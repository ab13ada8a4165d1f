using BladeProvisioner.Core.Configuration;
using BladeProvisioner.Core.Readiness;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Data;
using BladeProvisioner.Data.Migrations;
using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.Common;
using Hangfire.PostgreSql;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace BladeProvisioner.Jobs;

public static class JobsServiceCollectionExtensions
{
    /// <summary>
    /// Durable jobs: Hangfire with its PostgreSQL storage in the appliance's database (schema <c>hangfire</c>, installed
    /// under the migration lock), one job method over the jobs table, per-kind caps, and the recovery sweep as a
    /// recurring job. The engine's pieces are this host's own (storage, filters, activator), not Hangfire's process-wide
    /// defaults, so several hosts in one process do not share them; its log provider, which Hangfire keeps process-wide,
    /// is <see cref="HangfireLogBridge"/>, which never hands the engine a stopped host's logger. Call after AddData.
    /// </summary>
    public static IHostApplicationBuilder AddJobs(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<JobsOptions>().BindConfiguration(JobsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var options = builder.Configuration.GetSection(JobsOptions.Section).Get<JobsOptions>() ?? new JobsOptions();
        var node = builder.Configuration[$"{ApplianceOptions.Section}:NodeName"];
        if (string.IsNullOrWhiteSpace(node))
        {
            node = Environment.MachineName;
        }

        services.AddSingleton<ISchemaInstaller, HangfireSchemaInstaller>();
        services.AddSingleton<JobStorage>(sp => new PostgreSqlStorage(
            new DataSourceConnectionFactory(sp.GetRequiredService<NpgsqlDataSource>()), StorageOptions(options)));
        services.AddSingleton<IJobFilterProvider>(_ => Filters(options));
        services.AddSingleton<JobActivator>(sp => new AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()));
        // Before the engine's server: hosted services stop in reverse order, so the log bridge lets go of this host's
        // logger factory only after the server has stopped.
        services.AddHostedService<HangfireLogAttachment>();
        services.AddHangfire(config => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseLogProvider(HangfireLogBridge.Instance));
        services.AddHangfireServer((_, server) =>
        {
            server.ServerName = node;
            server.WorkerCount = options.MaxConcurrency;
            server.Queues = ["default"];
            server.SchedulePollingInterval = options.PollInterval;
            server.HeartbeatInterval = TimeSpan.FromSeconds(5);
            server.ServerCheckInterval = TimeSpan.FromSeconds(15);
            server.ServerTimeout = TimeSpan.FromSeconds(45);

            // A stopping appliance does not wait for a long clone: the job is put back in the queue and resumes from
            // its checkpoint on this node after restart or on another node now.
            server.ShutdownTimeout = TimeSpan.FromSeconds(10);
        });

        services.AddSingleton<JobRowStore>();
        services.AddSingleton<JobsTelemetry>();
        services.AddSingleton<JobHandlerRegistry>();
        services.AddTransient(sp => new DurableJobExecutor(
            sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<JobRowStore>(),
            sp.GetRequiredService<JobHandlerRegistry>(),
            sp.GetRequiredService<ITimeline>(),
            sp.GetRequiredService<IOptions<JobsOptions>>(),
            sp.GetRequiredService<IOptions<ApplianceOptions>>(),
            sp.GetRequiredService<ILogger<DurableJobExecutor>>(),
            sp.GetRequiredService<JobsTelemetry>()));
        services.AddSingleton(sp => new JobService(
            sp.GetRequiredService<IDbContextFactory<ApplianceDbContext>>(),
            sp.GetRequiredService<IBackgroundJobClient>(),
            sp.GetRequiredService<ITimeline>(),
            sp.GetRequiredService<TimeProvider>())
        {
            Registry = sp.GetRequiredService<JobHandlerRegistry>(),
        });
        services.AddTransient(sp => new JobRecoverySweep(
            sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<JobStorage>(),
            sp.GetRequiredService<JobService>(),
            sp.GetRequiredService<ApplianceReadiness>(),
            sp.GetRequiredService<ILogger<JobRecoverySweep>>()));
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddTransient(sp => new RetentionSweep(
            sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<ApplianceReadiness>(),
            sp.GetRequiredService<IOptions<RetentionOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<RetentionSweep>>()));
        services.AddHostedService(sp => new RecurringJobsRegistration(
            sp.GetRequiredService<IRecurringJobManager>(),
            sp.GetRequiredService<IOptions<JobsOptions>>(),
            sp.GetRequiredService<IOptions<RetentionOptions>>(),
            sp.GetRequiredService<ILogger<RecurringJobsRegistration>>()));
        return builder;
    }

    /// <summary>Registers the handler of one job kind.</summary>
    public static IServiceCollection AddJobHandler<THandler>(this IServiceCollection services)
        where THandler : class, IJobHandler
    {
        services.AddSingleton<IJobHandler, THandler>();
        return services;
    }

    /// <summary>
    /// Recovery in seconds: the worker running a job refreshes its claim every fifth of the invisibility timeout
    /// (sliding), so a job whose node died is visible to every node again after at most that timeout.
    /// </summary>
    private static PostgreSqlStorageOptions StorageOptions(JobsOptions options) => new()
    {
        SchemaName = HangfireSchemaInstaller.Schema,
        PrepareSchemaIfNecessary = false,
        InvisibilityTimeout = options.InvisibilityTimeout,
        UseSlidingInvisibilityTimeout = true,
        QueuePollInterval = options.PollInterval,
        // Long polling would hold a LISTEN connection per idle worker (8 per node); a 1 s poll costs less.
        EnableLongPolling = false,
        DistributedLockTimeout = TimeSpan.FromMinutes(1),
        StartupConnectionMaxRetries = 0,
    };

    /// <summary>
    /// The engine's filters for this host: statistics and continuations as Hangfire's defaults have them, the slot
    /// wait before the retry filter, and few retries — a job's own failure is recorded on its row and never reaches
    /// the engine; only infrastructure errors (the database unreachable) do, and the recovery sweep backs those up.
    /// </summary>
    private static JobFilterProviderCollection Filters(JobsOptions options)
    {
        var filters = new JobFilterCollection();
        filters.Add(new StatisticsHistoryAttribute());
        filters.Add(new ContinuationsSupportAttribute());
        filters.Add(new SlotWaitFilter(options.SlotRetryDelay), 0);
        filters.Add(new AutomaticRetryAttribute { Attempts = 3, DelaysInSeconds = [2, 10, 30] }, 20);
        return new JobFilterProviderCollection(filters, new JobFilterAttributeFilterProvider());
    }
}
