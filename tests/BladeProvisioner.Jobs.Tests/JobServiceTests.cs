using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Data;
using BladeProvisioner.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace BladeProvisioner.Jobs.Tests;

/// <summary>The job framework on a real PostgreSQL and Hangfire's PostgreSQL storage, in a real host.</summary>
public sealed class JobServiceTests(PostgresServer postgres)
{
    [Fact]
    public async Task JobRunsToSuccessWithProgressOnItsRow()
    {
        await using var h = await StartAsync();
        var job = await h.Jobs.EnqueueAsync(new JobRequest(ProbeHandler.ProbeKind, new ProbeParameters(5)), TestContext.Current.CancellationToken);
        var done = await h.WaitAsync(job.Id, j => j.IsFinished);
        Assert.Equal(JobState.Succeeded, done.State);
        Assert.Equal(5, done.ProgressDone);
        Assert.Equal(5, done.ProgressTotal);
        Assert.Equal(1, done.Attempts);
        Assert.NotNull(done.StartedAt);
        Assert.NotNull(done.FinishedAt);
    }

    [Fact]
    public async Task CancellingARunningJobStopsItAndCleansUp()
    {
        await using var h = await StartAsync();
        h.Probe.Block = true;
        var job = await h.Jobs.EnqueueAsync(new JobRequest(ProbeHandler.ProbeKind, new ProbeParameters(100)), TestContext.Current.CancellationToken);
        h.Probe.Gate.Release(3);
        await h.WaitAsync(job.Id, j => j.ProgressDone >= 3);
        await h.Jobs.CancelAsync(job.Id, "tester", TestContext.Current.CancellationToken);
        h.Probe.Gate.Release(1);
        var done = await h.WaitAsync(job.Id, j => j.IsFinished);
        Assert.Equal(JobState.Cancelled, done.State);
        Assert.Contains(job.Id, h.Probe.CleanedUp);
        var again = await Assert.ThrowsAsync<DomainException>(() => h.Jobs.CancelAsync(job.Id, "tester", TestContext.Current.CancellationToken));
        Assert.Equal(ErrorCodes.JobFinished, again.Code);
    }

    [Fact]
    public async Task FailedJobRetriesFromItsCheckpoint()
    {
        await using var h = await StartAsync();
        h.Probe.FailAtStep = 6;
        var job = await h.Jobs.EnqueueAsync(new JobRequest(ProbeHandler.ProbeKind, new ProbeParameters(10)), TestContext.Current.CancellationToken);
        var failed = await h.WaitAsync(job.Id, j => j.IsFinished);
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Contains("probe failure at step 6", failed.Error, StringComparison.Ordinal);
        Assert.Equal(ErrorCodes.Internal, failed.ErrorCode);

        await h.Jobs.RetryAsync(job.Id, "tester", TestContext.Current.CancellationToken);
        var done = await h.WaitAsync(job.Id, j => j.IsFinished);
        Assert.Equal(JobState.Succeeded, done.State);
        Assert.Equal(2, done.Attempts);
        Assert.Contains(h.Probe.Runs, r => r.JobId == job.Id && r.Attempt == 2 && r.ResumedAt == 6);
    }

    [Fact]
    public async Task RetryingARunningOrSucceededJobIsAConflict()
    {
        await using var h = await StartAsync();
        var job = await h.Jobs.EnqueueAsync(new JobRequest(ProbeHandler.ProbeKind, new ProbeParameters(1)), TestContext.Current.CancellationToken);
        await h.WaitAsync(job.Id, j => j.IsFinished);
        var ex = await Assert.ThrowsAsync<DomainException>(() => h.Jobs.RetryAsync(job.Id, "tester", TestContext.Current.CancellationToken));
        Assert.Equal(ErrorCodes.JobNotRetryable, ex.Code);
    }

    [Fact]
    public async Task UnknownKindIsRefusedBeforeAnythingIsStored()
    {
        await using var h = await StartAsync();
        var ex = await Assert.ThrowsAsync<DomainException>(() => h.Jobs.EnqueueAsync(new JobRequest("no.such.kind", new { }), TestContext.Current.CancellationToken));
        Assert.Equal(ErrorCodes.JobKindUnknown, ex.Code);
        await using var db = await h.Contexts.CreateDbContextAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, await db.Jobs.CountAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task KindCapLimitsConcurrencyAndEveryJobStillFinishes()
    {
        await using var h = await StartAsync(("Jobs:KindConcurrency:test.probe", "1"), ("Jobs:SlotRetryDelay", "00:00:00.200"));
        var ids = new List<long>();
        for (int i = 0; i < 4; i++)
        {
            ids.Add((await h.Jobs.EnqueueAsync(new JobRequest(ProbeHandler.ProbeKind, new ProbeParameters(4)), TestContext.Current.CancellationToken)).Id);
        }

        foreach (var id in ids)
        {
            Assert.Equal(JobState.Succeeded, (await h.WaitAsync(id, j => j.IsFinished, TimeSpan.FromSeconds(60))).State);
        }

        Assert.Equal(1, h.Probe.MaxConcurrent);
    }

    [Fact]
    public async Task RecoverySweepRunsARowThatWasNeverScheduled()
    {
        await using var h = await StartAsync();

        // A job row written by a node that died before it scheduled the trigger.
        var row = h.Jobs.NewRow(new JobRequest(ProbeHandler.ProbeKind, new ProbeParameters(2)));
        row.UpdatedAt = row.UpdatedAt.AddMinutes(-1);
        await using (var db = await h.Contexts.CreateDbContextAsync(TestContext.Current.CancellationToken))
        {
            db.Jobs.Add(row);
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        }

        // The service's own periodic sweep may get to the row first; either way it runs once and only once.
        var sweeper = h.Host.Services.GetRequiredService<JobRecoverySweep>();
        await sweeper.SweepAsync(TestContext.Current.CancellationToken);
        var done = await h.WaitAsync(row.Id, j => j.IsFinished);
        Assert.Equal(JobState.Succeeded, done.State);
        Assert.Equal(1, done.Attempts);
        Assert.Equal(0, await sweeper.SweepAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task AnExecutionThatLostItsLockStopsAndTheJobFinishesOnceInANewOne()
    {
        await using var h = await StartAsync(("Jobs:LockCheckInterval", "00:00:00.200"));
        h.Probe.Block = true;
        var job = await h.Jobs.EnqueueAsync(new JobRequest(ProbeHandler.ProbeKind, new ProbeParameters(6)), TestContext.Current.CancellationToken);
        h.Probe.Gate.Release(2);
        await h.WaitAsync(job.Id, j => j.ProgressDone >= 2);

        // What a PostgreSQL restart does to the running execution: the connection that holds the job's lock dies.
        await using (var conn = new NpgsqlConnection(h.ConnectionString))
        {
            await conn.OpenAsync(TestContext.Current.CancellationToken);
            await using var kill = new NpgsqlCommand(
                """
                SELECT pg_terminate_backend(pid) FROM pg_locks
                WHERE locktype = 'advisory' AND objsubid = 1 AND classid = x'42504A00'::bigint::oid AND objid = $1::oid
                """,
                conn);
            kill.Parameters.Add(new NpgsqlParameter<long> { TypedValue = job.Id });
            Assert.True((bool?)await kill.ExecuteScalarAsync(TestContext.Current.CancellationToken), "the lock holder was found and cut off");
        }

        // The first execution stops without finishing or cleaning up; the engine's retry resumes from the checkpoint.
        h.Probe.Block = false;
        h.Probe.Gate.Release(100);
        var done = await h.WaitAsync(job.Id, j => j.IsFinished, TimeSpan.FromSeconds(60));
        Assert.Equal(JobState.Succeeded, done.State);
        Assert.Equal(2, done.Attempts);
        Assert.Contains(h.Probe.Runs, r => r.JobId == job.Id && r.Attempt == 2 && r.ResumedAt >= 2);
        Assert.DoesNotContain(job.Id, h.Probe.CleanedUp);
        Assert.Equal(1, h.Probe.MaxConcurrent);
    }

    /// <summary>
    /// Hangfire keeps its log provider process-wide. Two hosts in one process (an in-place restart, the test hosts): the
    /// one that configured the engine last stops, and the other's engine must go on dequeuing and running jobs (it used
    /// to fail in every dequeue on the stopped host's disposed logger factory, leaving its jobs queued).
    /// </summary>
    [Fact]
    public async Task JobsOfAHostStillRunAfterAnotherHostInTheProcessStopped()
    {
        await using var first = await StartAsync();
        var second = await StartAsync();
        var warmup = await second.Jobs.EnqueueAsync(new JobRequest(ProbeHandler.ProbeKind, new ProbeParameters(1)), TestContext.Current.CancellationToken);
        await second.WaitAsync(warmup.Id, j => j.IsFinished);
        await second.DisposeAsync();

        for (int i = 0; i < 3; i++)
        {
            var job = await first.Jobs.EnqueueAsync(new JobRequest(ProbeHandler.ProbeKind, new ProbeParameters(2)), TestContext.Current.CancellationToken);
            var done = await first.WaitAsync(job.Id, j => j.IsFinished, TimeSpan.FromSeconds(60));
            Assert.Equal(JobState.Succeeded, done.State);
        }
    }

    [Fact]
    public async Task AnOvertakenExecutionCanNoLongerWriteTheRow()
    {
        await using var h = await StartAsync();
        var row = h.Jobs.NewRow(new JobRequest(ProbeHandler.ProbeKind, new ProbeParameters(1)));
        row.State = JobState.Failed; // kept away from the engine: this test claims the row itself
        await using (var db = await h.Contexts.CreateDbContextAsync(TestContext.Current.CancellationToken))
        {
            db.Jobs.Add(row);
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        }

        var store = h.Host.Services.GetRequiredService<JobRowStore>();
        await using var conn = new NpgsqlConnection(h.ConnectionString);
        await conn.OpenAsync(TestContext.Current.CancellationToken);
        var first = await store.MarkRunningAsync(conn, row.Id, "node-1", TestContext.Current.CancellationToken);
        var second = await store.MarkRunningAsync(conn, row.Id, "node-2", TestContext.Current.CancellationToken);
        Assert.Equal(first.Epoch + 1, second.Epoch);

        await Assert.ThrowsAsync<JobFencedException>(() => store.ReportProgressAsync(row.Id, first.Epoch, 1, 2, 0, "{}", TestContext.Current.CancellationToken));
        Assert.False(await store.OwnsAsync(row.Id, first.Epoch, TestContext.Current.CancellationToken));
        Assert.False(await store.FinishAsync(conn, row.Id, first.Epoch, JobState.Succeeded, null, null, TestContext.Current.CancellationToken));
        Assert.False(await store.ReportProgressAsync(row.Id, second.Epoch, 1, 2, 0, "{}", TestContext.Current.CancellationToken));
        Assert.True(await store.FinishAsync(conn, row.Id, second.Epoch, JobState.Succeeded, null, null, TestContext.Current.CancellationToken));
    }

    private async Task<JobsHost> StartAsync(params (string Key, string Value)[] settings)
    {
        var cs = await postgres.CreateEmptyDatabaseAsync("jobs");
        var dir = new TempDirectory("bp-jobs");
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:Appliance"] = cs;
        builder.Configuration["Appliance:DataDirectory"] = dir.Path;
        builder.Configuration["Appliance:NodeName"] = "jobs-" + Guid.NewGuid().ToString("N")[..8];
        foreach (var (k, v) in settings)
        {
            builder.Configuration[k] = v;
        }

        builder.AddData();
        builder.AddJobs();
        var probe = new ProbeHandler();
        builder.Services.AddSingleton<IJobHandler>(probe);
        var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        return new JobsHost(host, probe, dir, cs);
    }

    private sealed class JobsHost(IHost host, ProbeHandler probe, TempDirectory dir, string connectionString) : IAsyncDisposable
    {
        public IHost Host => host;
        public string ConnectionString => connectionString;
        public ProbeHandler Probe => probe;
        public JobService Jobs => host.Services.GetRequiredService<JobService>();
        public IDbContextFactory<ApplianceDbContext> Contexts => host.Services.GetRequiredService<IDbContextFactory<ApplianceDbContext>>();

        public async Task<Job> WaitAsync(long id, Func<Job, bool> condition, TimeSpan? timeout = null)
        {
            var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
            Job? job = null;
            while (DateTime.UtcNow < deadline)
            {
                await using var db = await Contexts.CreateDbContextAsync();
                job = await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == id);
                if (condition(job))
                {
                    return job;
                }

                await Task.Delay(50);
            }

            throw new TimeoutException($"Job {id}: condition not met; last state {job?.State} progress {job?.ProgressDone}/{job?.ProgressTotal} error {job?.Error}");
        }

        public async ValueTask DisposeAsync()
        {
            probe.Block = false;
            probe.Gate.Release(1000);
            await host.StopAsync();
            host.Dispose();
            NpgsqlConnection.ClearAllPools();
            dir.Dispose();
        }
    }
}
