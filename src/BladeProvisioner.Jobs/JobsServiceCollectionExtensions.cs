using BladeProvisioner.Data;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Quartz;

namespace BladeProvisioner.Jobs;

public static class JobsServiceCollectionExtensions
{
    /// <summary>
    /// Durable jobs: Quartz with the clustered PostgreSQL job store (tables from the appliance's migrations), one executor
    /// class over the jobs table, per-kind caps, and the recovery sweep. Call after AddData.
    /// </summary>
    public static IHostApplicationBuilder AddJobs(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<JobsOptions>().BindConfiguration(JobsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var options = builder.Configuration.GetSection(JobsOptions.Section).Get<JobsOptions>() ?? new JobsOptions();
        var connectionString = builder.Configuration.GetConnectionString(DataServiceCollectionExtensions.ConnectionStringName)
            ?? throw new InvalidOperationException("AddJobs needs the database: call AddData first.");
        var node = builder.Configuration[$"{Core.Configuration.ApplianceOptions.Section}:NodeName"];
        if (string.IsNullOrWhiteSpace(node))
        {
            node = Environment.MachineName;
        }

        builder.AddQuartz(q =>
        {
            q.ConfigureScheduler(s =>
            {
                s.InstanceName = "BladeProvisioner";

                // A stable id per node: after a crash the restarted node recovers its own interrupted jobs at its
                // first check-in instead of waiting for the others to declare it dead.
                s.InstanceId = node;
                s.GenerateInstanceId = false;
            });
            q.UseDefaultThreadPool(o => o.MaxConcurrency = options.MaxConcurrency);
            q.UsePersistentStore(store =>
            {
                store.UsePostgres(connectionString);
                store.UseSystemTextJsonSerializer(_ => { });
                store.UseClustering(c =>
                {
                    c.CheckinInterval = options.ClusterCheckinInterval;
                    c.CheckinMisfireThreshold = options.ClusterCheckinInterval * 2;
                });
                store.ConfigureStore(o =>
                {
                    o.TablePrefix = "qrtz_";
                    o.SchemaProvisioning = SchemaProvisioning.Validate;
                });
            });
        });
        builder.AddQuartzHostedService(o =>
        {
            // A stopping appliance does not wait for a long clone: the job resumes from its checkpoint after restart.
            o.WaitForJobsToComplete = false;
            o.AwaitApplicationStarted = true;
        });

        services.AddSingleton<JobRowStore>();
        services.AddSingleton<JobHandlerRegistry>();
        services.AddTransient<DurableJobExecutor>();
        services.AddSingleton(sp => new JobService(
            sp.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<ApplianceDbContext>>(),
            sp.GetRequiredService<ISchedulerFactory>(),
            sp.GetRequiredService<Core.Timeline.ITimeline>(),
            sp.GetRequiredService<TimeProvider>())
        {
            Registry = sp.GetRequiredService<JobHandlerRegistry>(),
        });
        services.AddHostedService<JobRecoveryService>();
        return builder;
    }

    /// <summary>Registers the handler of one job kind.</summary>
    public static IServiceCollection AddJobHandler<THandler>(this IServiceCollection services)
        where THandler : class, IJobHandler
    {
        services.AddSingleton<IJobHandler, THandler>();
        return services;
    }
}
