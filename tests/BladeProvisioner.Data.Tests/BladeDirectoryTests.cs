using BladeProvisioner.Core.Blades;
using BladeProvisioner.Core.Naming;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Data.Blades;
using BladeProvisioner.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace BladeProvisioner.Data.Tests;

/// <summary>Enrolment from DHCP and iPXE sightings against PostgreSQL, including blades swapped in a chassis slot.</summary>
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

    private async Task<Harness> StartAsync(string name)
    {
        var dataSource = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync(name));
        var timeline = new Recorder();
        var directory = new BladeDirectory(dataSource, new IqnFactory("test.local", new DateOnly(2026, 11, 1)), timeline, TimeProvider.System);
        var db = new ApplianceDbContext(new DbContextOptionsBuilder<ApplianceDbContext>().UseNpgsql(dataSource).Options);
        return new Harness(directory, db, timeline, dataSource);
    }

    private sealed class Harness(BladeDirectory directory, ApplianceDbContext db, Recorder timeline, NpgsqlDataSource dataSource) : IAsyncDisposable
    {
        public BladeDirectory Directory => directory;
        public ApplianceDbContext Db => db;
        public Recorder Timeline => timeline;

        public void Deconstruct(out BladeDirectory d, out ApplianceDbContext c, out Recorder t) => (d, c, t) = (directory, db, timeline);

        public async ValueTask DisposeAsync()
        {
            await db.DisposeAsync();
            await dataSource.DisposeAsync();
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
