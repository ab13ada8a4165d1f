using BladeProvisioner.Core.Model;
using BladeProvisioner.Dhcp.Diagnostics;
using BladeProvisioner.Dhcp.Leases;
using BladeProvisioner.Dhcp.Scopes;
using BladeProvisioner.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace BladeProvisioner.Dhcp.Tests.Leases;

public sealed class PostgresLeaseStoreTests(PostgresServer postgres)
{
    private static readonly uint Address = Ipv4.ToUInt32(System.Net.IPAddress.Parse("10.99.20.100"));

    private static PostgresLeaseStore Store(NpgsqlDataSource ds) =>
        new(ds, new DhcpMetrics(), NullLogger<PostgresLeaseStore>.Instance, TimeSpan.FromMilliseconds(2));

    private static LeaseWrite Bind(string mac, uint address = 0, int minutes = 60) =>
        new(LeaseWriteKind.Bind, "lab", address == 0 ? Address : address, mac, DateTimeOffset.UtcNow.AddMinutes(minutes));

    [Fact]
    public async Task TwoNodesRacingForOneAddressNeverBothWin()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var ds = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync("dhcp"));
        await using var nodeA = Store(ds);
        await using var nodeB = Store(ds);
        for (uint i = 0; i < 200; i++)
        {
            var a = nodeA.CommitAsync(Bind($"02:00:00:00:0a:{i % 256:x2}", Address + i), ct).AsTask();
            var b = nodeB.CommitAsync(Bind($"02:00:00:00:0b:{i % 256:x2}", Address + i), ct).AsTask();
            var results = await Task.WhenAll(a, b);
            Assert.Equal(1, results.Count(r => r));
        }

        var rows = await nodeA.LoadAsync(ct);
        Assert.Equal(200, rows.Count);
    }

    [Fact]
    public async Task GroupCommitMakesEveryConcurrentWriteDurable()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var ds = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync("dhcp"));
        await using var store = Store(ds);
        var writes = Enumerable.Range(0, 1000).Select(i => store.CommitAsync(Bind($"02:00:00:01:{i / 256:x2}:{i % 256:x2}", Address + (uint)i), ct).AsTask());
        Assert.All(await Task.WhenAll(writes), Assert.True);
        await using var cmd = ds.CreateCommand("SELECT count(*) FROM dhcp_leases WHERE state = 'Bound'");
        Assert.Equal(1000L, await cmd.ExecuteScalarAsync(ct));
    }

    [Fact]
    public async Task SameAddressTwiceInOneBatchIsAppliedInOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var ds = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync("dhcp"));
        await using var store = Store(ds);
        var first = store.CommitAsync(Bind("02:00:00:00:00:01"), ct).AsTask();
        var second = store.CommitAsync(Bind("02:00:00:00:00:02"), ct).AsTask();
        var renew = store.CommitAsync(Bind("02:00:00:00:00:01"), ct).AsTask();
        bool[] expected = [true, false, true];
        Assert.Equal(expected, await Task.WhenAll(first, second, renew));
    }

    [Fact]
    public async Task ReleaseAndDeclineFollowTheHolderRules()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var ds = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync("dhcp"));
        await using var store = Store(ds);
        Assert.True(await store.CommitAsync(Bind("02:00:00:00:00:01"), ct));
        Assert.False(await store.CommitAsync(Bind("02:00:00:00:00:02") with { Kind = LeaseWriteKind.Release }, ct));
        Assert.False(await store.CommitAsync(Bind("02:00:00:00:00:02") with { Kind = LeaseWriteKind.Decline }, ct));
        Assert.True(await store.CommitAsync(Bind("02:00:00:00:00:01") with { Kind = LeaseWriteKind.Decline }, ct));
        Assert.False(await store.CommitAsync(Bind("02:00:00:00:00:01"), ct)); // a declined address is not re-bound by its decliner
        Assert.False(await store.CommitAsync(Bind("02:00:00:00:00:02"), ct)); // nor by anyone during quarantine
        var row = Assert.Single(await store.LoadAsync(ct));
        Assert.Equal(DhcpLeaseState.Declined, row.State);
    }

    [Fact]
    public async Task ExpiredLeasesAreReclaimedAndThenFree()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var ds = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync("dhcp"));
        await using var store = Store(ds);
        Assert.True(await store.CommitAsync(Bind("02:00:00:00:00:01", minutes: -1), ct));
        var reclaimed = Assert.Single(await store.ReclaimExpiredAsync(ct));
        Assert.Equal(DhcpLeaseState.Expired, reclaimed.State);
        Assert.True(await store.CommitAsync(Bind("02:00:00:00:00:02"), ct));
    }

    [Fact]
    public async Task BindingAnotherAddressReleasesTheMacsOtherLeaseInTheScope()
    {
        // Finding 3: one MAC, one lease per scope, whichever node bound the first; other scopes are left alone.
        var ct = TestContext.Current.CancellationToken;
        await using var ds = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync("dhcp"));
        await using var store = Store(ds);
        Assert.True(await store.CommitAsync(Bind("02:00:00:00:00:01"), ct));
        Assert.True(await store.CommitAsync(Bind("02:00:00:00:00:01") with { Scope = "rack" }, ct));
        var first = store.CommitAsync(Bind("02:00:00:00:00:01", Address + 1), ct).AsTask();
        var second = store.CommitAsync(Bind("02:00:00:00:00:01", Address + 2), ct).AsTask(); // usually one batch: the later wins
        Assert.All(await Task.WhenAll(first, second), Assert.True);
        var bound = (await store.LoadAsync(ct)).Where(r => r.State == DhcpLeaseState.Bound).Select(r => (r.Scope, r.Address)).Order().ToList();
        Assert.Equal([("lab", Address + 2), ("rack", Address)], bound);
    }
}
