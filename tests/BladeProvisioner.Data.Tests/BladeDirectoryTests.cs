using System.Diagnostics.Metrics;
using BladeProvisioner.Core.Blades;
using BladeProvisioner.Core.Naming;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Data.Blades;
using BladeProvisioner.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace BladeProvisioner.Data.Tests;

/// <summary>
/// Enrolment from DHCP and iPXE sightings against PostgreSQL, including blades swapped in a chassis slot, and the
/// limits on what unauthenticated sightings may create (finding 10 of the security review).
/// </summary>
public sealed class BladeDirectoryTests(PostgresServer postgres)
{
    [Fact]
    public async Task AFirstSightingEnrolsTheBladeWithNameIqnAndRelayLocation()
    {
        await using var harness = await StartAsync("dir-enrol");
        var (directory, db, timeline) = harness;

        var profile = await directory.SightAsync(
            new BladeSighting("52-54-00-AA-00-01") { RelayRemoteId = "enc1", RelayCircuitId = "5", SmbiosUuid = Guid.Empty }, TestContext.Current.CancellationToken);

        Assert.True(profile.IsNew);
        var blade = await db.Blades.AsNoTracking().SingleAsync(TestContext.Current.CancellationToken);
        Assert.Equal("52:54:00:aa:00:01", blade.BootMac);
        Assert.Equal($"blade-{blade.Id}", blade.Hostname);
        Assert.NotNull(blade.InitiatorIqn);
        Assert.Equal(("enc1", "5", "relay"), (blade.Chassis, blade.Slot, blade.LocationSource));
        Assert.Null(blade.SmbiosUuid); // a firmware placeholder is not an identity
        Assert.Contains(timeline.Records, r => r.Kind == "blade.enrolled" && r.BladeId == blade.Id);
    }

    [Fact]
    public async Task AReplacementBladeTakesOverTheSlotAndTheOldRecordLosesIt()
    {
        await using var harness = await StartAsync("dir-swap");
        var (directory, db, timeline) = harness;
        var ct = TestContext.Current.CancellationToken;
        var old = await directory.SightAsync(new BladeSighting("52:54:00:aa:01:01") { RelayRemoteId = "enc1", RelayCircuitId = "7" }, ct);

        // The blade is pulled and another one pushed into the same slot.
        var replacement = await directory.SightAsync(new BladeSighting("52:54:00:aa:01:02") { RelayRemoteId = "enc1", RelayCircuitId = "7" }, ct);

        var blades = await db.Blades.AsNoTracking().ToDictionaryAsync(b => b.Id, ct);
        Assert.Equal(("enc1", "7"), (blades[replacement.BladeId].Chassis, blades[replacement.BladeId].Slot));
        Assert.Equal((null, null, null), (blades[old.BladeId].Chassis, blades[old.BladeId].Slot, blades[old.BladeId].LocationSource));
        Assert.Contains(timeline.Records, r => r.Kind == "blade.location" && r.BladeId == old.BladeId
                                               && r.Summary.Contains("52:54:00:aa:01:02", StringComparison.Ordinal));

        // The old blade, put into another slot, is found there.
        await directory.SightAsync(new BladeSighting("52:54:00:aa:01:01") { RelayRemoteId = "enc1", RelayCircuitId = "8" }, ct);
        var moved = await db.Blades.AsNoTracking().SingleAsync(b => b.Id == old.BladeId, ct);
        Assert.Equal(("enc1", "8", "relay"), (moved.Chassis, moved.Slot, moved.LocationSource));
    }

    [Fact]
    public async Task ALocationAnAdminSetIsNotTakenOverByARelaySighting()
    {
        await using var harness = await StartAsync("dir-admin");
        var (directory, db, _) = harness;
        var ct = TestContext.Current.CancellationToken;
        var declared = await directory.SightAsync(new BladeSighting("52:54:00:aa:02:01"), ct);
        await db.Database.ExecuteSqlAsync($"UPDATE blades SET chassis = 'enc2', slot = '1', location_source = 'api' WHERE id = {declared.BladeId}", ct);

        var newcomer = await directory.SightAsync(new BladeSighting("52:54:00:aa:02:02") { RelayRemoteId = "enc2", RelayCircuitId = "1" }, ct);

        var blades = await db.Blades.AsNoTracking().ToDictionaryAsync(b => b.Id, ct);
        Assert.Equal(("enc2", "1", "api"), (blades[declared.BladeId].Chassis, blades[declared.BladeId].Slot, blades[declared.BladeId].LocationSource));
        Assert.Equal((null, null), (blades[newcomer.BladeId].Chassis, blades[newcomer.BladeId].Slot));
    }

    [Fact]
    public async Task AMacRotatingClientCannotPushTheBladesTablePastTheCeilingAndKnownBladesStillBoot()
    {
        var ct = TestContext.Current.CancellationToken;
        var meters = new TestMeters();
        await using var harness = await StartAsync("dir-cap", new EnrolmentOptions { MaxUnclaimedBlades = 5, PerSourcePerMinute = 1000 }, meters: meters);
        var (directory, db, timeline) = harness;
        long refusedMetric = 0;
        using var listener = meters.Listen("bp.enrolment.refused", (value, tags) =>
        {
            if (tags.ToArray().Any(t => t.Key == "limit" && (string?)t.Value == "cap"))
            {
                Interlocked.Add(ref refusedMetric, value);
            }
        });
        var known = await directory.SightAsync(new BladeSighting("52:54:00:c0:00:00"), ct);

        int refused = 0;
        for (int i = 1; i <= 60; i++)
        {
            try
            {
                await directory.SightAsync(new BladeSighting($"52:54:00:c0:01:{i:x2}"), ct);
            }
            catch (EnrolmentRefusedException ex)
            {
                Assert.Equal(EnrolmentRefusedException.CapLimit, ex.Limit);
                refused++;
            }
        }

        Assert.Equal(5, await db.Blades.CountAsync(ct));
        Assert.Equal(56, refused);
        Assert.Equal(56, Interlocked.Read(ref refusedMetric));

        // One timeline record for the whole flood, not one per refused MAC.
        Assert.Single(timeline.Records, r => r.Kind == "enrolment.refused");

        // The blade already known keeps working: sighted again (no repeat-cache shortcut) and updated.
        var again = await directory.SightAsync(new BladeSighting("52:54:00:c0:00:00") { Serial = "SN-KNOWN" }, ct);
        Assert.Equal(known.BladeId, again.BladeId);
        Assert.Equal("SN-KNOWN", (await db.Blades.AsNoTracking().SingleAsync(b => b.Id == known.BladeId, ct)).Serial);

        // An admin claiming a blade makes room for one more.
        await db.Database.ExecuteSqlAsync($"UPDATE blades SET claimed_at = now() WHERE id = {known.BladeId}", ct);
        await directory.SightAsync(new BladeSighting("52:54:00:c0:02:01"), ct);
        await Assert.ThrowsAsync<EnrolmentRefusedException>(() => directory.SightAsync(new BladeSighting("52:54:00:c0:02:02"), ct).AsTask());
        Assert.Equal(6, await db.Blades.CountAsync(ct));
    }

    [Fact]
    public async Task NodesSharingTheDatabaseCannotOvershootTheCeilingTogether()
    {
        var ct = TestContext.Current.CancellationToken;
        var options = new EnrolmentOptions { MaxUnclaimedBlades = 7, PerSourcePerMinute = 1000 };
        await using var a = await StartAsync("dir-race", options);
        var b = a.Sibling(options);

        var attempts = Enumerable.Range(0, 40).Select(async i =>
        {
            try
            {
                await (i % 2 == 0 ? a.Directory : b).SightAsync(new BladeSighting($"52:54:00:c1:00:{i:x2}"), ct);
                return true;
            }
            catch (EnrolmentRefusedException)
            {
                return false;
            }
        });

        var admitted = (await Task.WhenAll(attempts)).Count(x => x);
        Assert.Equal(7, admitted);
        Assert.Equal(7, await a.Db.Blades.CountAsync(ct));
    }

    [Fact]
    public async Task EachSourceEnrolsAtItsOwnRate()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new ManualTime(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        await using var harness = await StartAsync("dir-rate", new EnrolmentOptions { MaxUnclaimedBlades = 1000, PerSourcePerMinute = 3 }, time);
        var (directory, db, timeline) = harness;

        async Task<bool> Try(string mac, string chassis)
        {
            try
            {
                await directory.SightAsync(new BladeSighting(mac) { RelayRemoteId = chassis, RelayCircuitId = mac[^2..] }, ct);
                return true;
            }
            catch (EnrolmentRefusedException ex) when (ex.Limit == EnrolmentRefusedException.RateLimit)
            {
                return false;
            }
        }

        // Chassis enc1 rotates MACs: three get in at once (the bucket's burst), the rest wait for tokens.
        var enc1 = new List<bool>();
        for (int i = 0; i < 10; i++)
        {
            enc1.Add(await Try($"52:54:00:c2:01:{i:x2}", "enc1"));
        }

        Assert.Equal([true, true, true, false, false, false, false, false, false, false], enc1);

        // Another chassis is not held up by it.
        Assert.True(await Try("52:54:00:c2:02:01", "enc2"));

        // Twenty seconds buy enc1 one more enrolment (3 a minute).
        time.Now += TimeSpan.FromSeconds(20);
        Assert.True(await Try("52:54:00:c2:01:20", "enc1"));
        Assert.False(await Try("52:54:00:c2:01:21", "enc1"));
        Assert.Equal(5, await db.Blades.CountAsync(ct));

        // One record per interval: the flood's first refusal, then a summary once the interval has passed.
        Assert.Single(timeline.Records, r => r.Kind == "enrolment.refused");
        time.Now += TimeSpan.FromMinutes(1);
        for (int i = 0; i < 5; i++)
        {
            await Try($"52:54:00:c2:03:{i:x2}", "enc3");
        }

        var reports = timeline.Records.Where(r => r.Kind == "enrolment.refused").ToList();
        Assert.Equal(2, reports.Count);
        Assert.Equal(8, (int)reports[1].Details!["rate"]!); // seven since the first report, and this one
    }

    private async Task<Harness> StartAsync(string name, EnrolmentOptions? options = null, TimeProvider? time = null, TestMeters? meters = null)
    {
        var dataSource = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync(name));
        var timeline = new Recorder();
        options ??= new EnrolmentOptions();
        time ??= TimeProvider.System;
        var directory = NewDirectory(dataSource, timeline, options, time, meters ?? new TestMeters());
        var db = new ApplianceDbContext(new DbContextOptionsBuilder<ApplianceDbContext>().UseNpgsql(dataSource).Options);
        return new Harness(directory, db, timeline, dataSource, time);
    }

    private static BladeDirectory NewDirectory(NpgsqlDataSource dataSource, ITimeline timeline, EnrolmentOptions options, TimeProvider time, IMeterFactory meters) =>
        new(dataSource, new IqnFactory("test.local", new DateOnly(2026, 11, 1)), timeline, time, new EnrolmentGate(Options.Create(options), meters),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<BladeDirectory>.Instance);

    private sealed class Harness(BladeDirectory directory, ApplianceDbContext db, Recorder timeline, NpgsqlDataSource dataSource, TimeProvider time) : IAsyncDisposable
    {
        public BladeDirectory Directory => directory;

        /// <summary>Another node's directory on the same database (its own gate and caches).</summary>
        public BladeDirectory Sibling(EnrolmentOptions options) => NewDirectory(dataSource, timeline, options, time, new TestMeters());
        public ApplianceDbContext Db => db;
        public Recorder Timeline => timeline;

        public void Deconstruct(out BladeDirectory d, out ApplianceDbContext c, out Recorder t) => (d, c, t) = (directory, db, timeline);

        public async ValueTask DisposeAsync()
        {
            await db.DisposeAsync();
            await dataSource.DisposeAsync();
        }
    }

    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>Meters of one directory only, so parallel tests do not count each other's refusals.</summary>
    private sealed class TestMeters : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public MeterListener Listen(string instrument, Action<long, ReadOnlySpan<KeyValuePair<string, object?>>> measured)
        {
            var listener = new MeterListener
            {
                InstrumentPublished = (i, l) =>
                {
                    if (i.Name == instrument && _meters.Contains(i.Meter))
                    {
                        l.EnableMeasurementEvents(i);
                    }
                },
            };
            listener.SetMeasurementEventCallback<long>((_, value, tags, _) => measured(value, tags));
            listener.Start();
            return listener;
        }

        public void Dispose()
        {
            foreach (var m in _meters)
            {
                m.Dispose();
            }
        }
    }

    private sealed class Recorder : ITimeline
    {
        private readonly List<TimelineRecord> _records = [];

        public IReadOnlyList<TimelineRecord> Records
        {
            get
            {
                lock (_records)
                {
                    return [.. _records];
                }
            }
        }

        public void Record(TimelineRecord record)
        {
            lock (_records)
            {
                _records.Add(record);
            }
        }
    }
}
