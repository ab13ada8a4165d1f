using BladeProvisioner.Core.Model;
using BladeProvisioner.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace BladeProvisioner.Data.Tests;

public sealed class UniqueConstraintTests(PostgresServer postgres)
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task TwoBladesCannotShareABootMac()
    {
        await using var db = await NewContextAsync();
        db.Blades.Add(NewBlade("52:54:00:00:00:01"));
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        db.Blades.Add(NewBlade("52:54:00:00:00:01"));

        var ex = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync(TestContext.Current.CancellationToken));
        Assert.Equal("ux_blades_boot_mac", ((PostgresException)ex.InnerException!).ConstraintName);
    }

    [Fact]
    public async Task TwoBladesCannotShareAnInitiatorIqn()
    {
        await using var db = await NewContextAsync();
        var a = NewBlade("52:54:00:00:00:02");
        a.InitiatorIqn = "iqn.2026-11.local.test:initiator.a";
        var b = NewBlade("52:54:00:00:00:03");
        b.InitiatorIqn = a.InitiatorIqn;
        db.Blades.AddRange(a, b);

        var ex = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync(TestContext.Current.CancellationToken));
        Assert.Equal("ux_blades_initiator_iqn", ((PostgresException)ex.InnerException!).ConstraintName);
    }

    [Theory]
    [InlineData("target")]
    [InlineData("serial")]
    [InlineData("wwn")]
    public async Task TwoVolumesCannotShareTargetSerialOrWwn(string shared)
    {
        await using var db = await NewContextAsync();
        var image = NewImage();
        var b1 = NewBlade("52:54:00:00:01:01");
        var b2 = NewBlade("52:54:00:00:01:02");
        db.AddRange(image, b1, b2);
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);

        var v1 = NewVolume(b1.Id, image.Id, 1);
        var v2 = NewVolume(b2.Id, image.Id, 2);
        switch (shared)
        {
            case "target": v2.TargetIqn = v1.TargetIqn; break;
            case "serial": v2.ScsiSerial = v1.ScsiSerial; break;
            default: v2.Wwn = v1.Wwn; break;
        }

        db.BootVolumes.AddRange(v1, v2);
        var ex = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync(TestContext.Current.CancellationToken));
        Assert.StartsWith("ux_boot_volumes_", ((PostgresException)ex.InnerException!).ConstraintName, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAddressHasOneLeasePerScope()
    {
        await using var db = await NewContextAsync();
        db.DhcpLeases.Add(NewLease("aa:bb:cc:00:00:01"));
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        db.DhcpLeases.Add(NewLease("aa:bb:cc:00:00:02"));

        var ex = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync(TestContext.Current.CancellationToken));
        Assert.Equal("ux_dhcp_leases_scope_address", ((PostgresException)ex.InnerException!).ConstraintName);
    }

    [Fact]
    public async Task ImageNameAndVersionAreUnique()
    {
        await using var db = await NewContextAsync();
        db.DonorImages.Add(NewImage());
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        db.DonorImages.Add(NewImage());

        var ex = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync(TestContext.Current.CancellationToken));
        Assert.Equal("ux_donor_images_name_version", ((PostgresException)ex.InnerException!).ConstraintName);
    }

    [Fact]
    public async Task EntitiesRoundTripThroughTheSchema()
    {
        await using var db = await NewContextAsync();
        var image = NewImage();
        var blade = NewBlade("52:54:00:00:02:01");
        blade.SmbiosUuid = Guid.NewGuid();
        blade.Platform = BootPlatform.Uefi;
        blade.PowerDriver = PowerDriverKind.Ipmi;
        db.AddRange(image, blade);
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        var job = new Job { Kind = "volume.clone", CreatedAt = Now, UpdatedAt = Now, Parameters = """{"x":1}""", BladeId = blade.Id };
        db.Jobs.Add(job);
        db.BootVolumes.Add(NewVolume(blade.Id, image.Id, 9));
        db.Events.Add(new Event { At = Now, Actor = "test", Kind = "blade.state", Summary = "s", BladeId = blade.Id, Details = """{"a":"b"}""" });
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);

        await using var fresh = await NewContextAsync(db.Database.GetConnectionString());
        var loaded = await fresh.Blades.SingleAsync(b => b.Id == blade.Id, TestContext.Current.CancellationToken);
        Assert.Equal(BootPlatform.Uefi, loaded.Platform);
        Assert.Equal(PowerDriverKind.Ipmi, loaded.PowerDriver);
        Assert.Equal(blade.SmbiosUuid, loaded.SmbiosUuid);
        Assert.NotEqual(0u, loaded.RowVersion);
        Assert.Equal("volume.clone", (await fresh.Jobs.SingleAsync(j => j.Id == job.Id, TestContext.Current.CancellationToken)).Kind);
        Assert.Single(await fresh.BootVolumes.Where(v => v.BladeId == blade.Id).ToListAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ConcurrentEditsOfOneBladeConflict()
    {
        await using var db1 = await NewContextAsync();
        var blade = NewBlade("52:54:00:00:03:01");
        db1.Blades.Add(blade);
        await db1.SaveChangesAsync(TestContext.Current.CancellationToken);
        await using var db2 = await NewContextAsync(db1.Database.GetConnectionString());
        var copy = await db2.Blades.SingleAsync(b => b.Id == blade.Id, TestContext.Current.CancellationToken);

        blade.Hostname = "first";
        await db1.SaveChangesAsync(TestContext.Current.CancellationToken);
        copy.Hostname = "second";
        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => db2.SaveChangesAsync(TestContext.Current.CancellationToken));
    }

    private async Task<ApplianceDbContext> NewContextAsync(string? cs = null)
    {
        cs ??= await postgres.CreateDatabaseAsync();
        return new ApplianceDbContext(new DbContextOptionsBuilder<ApplianceDbContext>().UseNpgsql(cs).Options);
    }

    private static Blade NewBlade(string mac) => new() { BootMac = mac, CreatedAt = Now, LastSeenAt = Now, StateChangedAt = Now };

    private static DonorImage NewImage() => new()
    {
        Name = "debian-12",
        Version = 1,
        OperatingSystem = "Debian 12",
        BootMode = BootMode.Both,
        State = DonorImageState.Active,
        CreatedAt = Now,
    };

    private static BootVolume NewVolume(long bladeId, long imageId, int n) => new()
    {
        BladeId = bladeId,
        DonorImageId = imageId,
        BackingPath = $"/var/lib/bp/volumes/{n}.img",
        SizeBytes = 1 << 30,
        TargetIqn = $"iqn.2026-11.local.test:blade.{n}",
        ScsiSerial = $"BP{n:X8}",
        Wwn = "6001405" + n.ToString("x25", System.Globalization.CultureInfo.InvariantCulture),
        ChapUser = $"bp-blade-{n}",
        ChapSecretProtected = "protected",
        CreatedAt = Now,
    };

    private static DhcpLease NewLease(string mac) => new()
    {
        Scope = "lab",
        Address = System.Net.IPAddress.Parse("10.99.0.100"),
        Mac = mac,
        State = DhcpLeaseState.Bound,
        ExpiresAt = Now.AddHours(1),
        UpdatedAt = Now,
    };
}
