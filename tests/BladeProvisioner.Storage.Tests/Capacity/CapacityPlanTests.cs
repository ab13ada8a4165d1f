using BladeProvisioner.Storage.Capacity;

namespace BladeProvisioner.Storage.Tests.Capacity;

/// <summary>The accounting with no I/O: roles grouped by device, reserves added up per filesystem, claims against what is left.</summary>
public sealed class CapacityPlanTests
{
    private const long MiB = 1L << 20;
    private const long GiB = 1L << 30;

    private static readonly CapacityOptions Options = new()
    {
        Volumes = new ReserveOptions { Bytes = 2 * GiB, Percent = 10 },
        Images = new ReserveOptions { Bytes = GiB },
        Uploads = new ReserveOptions { Bytes = 0 },
        Database = new ReserveOptions { Bytes = 3 * GiB },
    };

    private static (FilesystemRole, string, FilesystemSpace) On(FilesystemRole role, ulong device, long capacity, long free) =>
        (role, "/" + role.ToString().ToLowerInvariant(), new FilesystemSpace(device, capacity, free));

    [Theory]
    [InlineData(0, 0.0, 100 * GiB, 0)]
    [InlineData(2 * GiB, 0.0, 100 * GiB, 2 * GiB)]
    [InlineData(2 * GiB, 10.0, 100 * GiB, 10 * GiB)]
    [InlineData(2 * GiB, 10.0, 10 * GiB, 2 * GiB)]
    [InlineData(0, 50.0, 256 * MiB, 128 * MiB)]
    public void AReserveIsTheLargerOfItsBytesAndItsShare(long bytes, double percent, long capacity, long expected) =>
        Assert.Equal(expected, new ReserveOptions { Bytes = bytes, Percent = percent }.For(capacity));

    [Fact]
    public void RolesOnOneFilesystemAddTheirReservesUp()
    {
        var filesystems = CapacityPlan.Group(
            [On(FilesystemRole.Volumes, 1, 100 * GiB, 50 * GiB), On(FilesystemRole.Database, 1, 100 * GiB, 50 * GiB), On(FilesystemRole.Images, 2, 20 * GiB, 5 * GiB)],
            Options);

        Assert.Equal(2, filesystems.Count);
        var shared = filesystems[0];
        Assert.Equal([FilesystemRole.Volumes, FilesystemRole.Database], shared.Roles);
        Assert.Equal((10 + 3) * GiB, shared.ReserveBytes);
        Assert.Equal(GiB, filesystems[1].ReserveBytes);
        Assert.Equal("volumes+database", shared.RoleNames);
    }

    [Fact]
    public void ACloneThatFitsAboveTheReserveIsAdmitted()
    {
        var filesystems = CapacityPlan.Group([On(FilesystemRole.Volumes, 1, 100 * GiB, 20 * GiB)], Options);

        Assert.Null(CapacityPlan.FirstShortfall(filesystems, [new SpaceClaim(FilesystemRole.Volumes, 10 * GiB)]));
    }

    [Fact]
    public void ACloneThatWouldTakeTheReserveIsRefusedNamingTheFilesystem()
    {
        var filesystems = CapacityPlan.Group([On(FilesystemRole.Volumes, 1, 100 * GiB, 20 * GiB)], Options);

        var shortfall = CapacityPlan.FirstShortfall(filesystems, [new SpaceClaim(FilesystemRole.Volumes, 10 * GiB + 1)]);

        Assert.NotNull(shortfall);
        Assert.Equal(FilesystemRole.Volumes, Assert.Single(shortfall.Value.Filesystem.Roles));
        Assert.Equal(10 * GiB + 1, shortfall.Value.ClaimedBytes);
    }

    [Fact]
    public void TheDatabaseReserveOnASharedFilesystemRefusesAClone()
    {
        // 14 GiB free: enough above the volumes' own 10 GiB reserve for a 3 GiB clone, not above volumes + database.
        var alone = CapacityPlan.Group([On(FilesystemRole.Volumes, 1, 100 * GiB, 14 * GiB)], Options);
        var shared = CapacityPlan.Group([On(FilesystemRole.Volumes, 1, 100 * GiB, 14 * GiB), On(FilesystemRole.Database, 1, 100 * GiB, 14 * GiB)], Options);
        var apart = CapacityPlan.Group([On(FilesystemRole.Volumes, 1, 100 * GiB, 14 * GiB), On(FilesystemRole.Database, 2, 100 * GiB, 4 * GiB)], Options);
        SpaceClaim[] clone = [new(FilesystemRole.Volumes, 3 * GiB)];

        Assert.Null(CapacityPlan.FirstShortfall(alone, clone));
        Assert.True(CapacityPlan.FirstShortfall(shared, clone)?.Filesystem.Holds(FilesystemRole.Database));
        Assert.Null(CapacityPlan.FirstShortfall(apart, clone));
    }

    [Fact]
    public void WorkInProgressCountsAsCommitted()
    {
        var committed = new Dictionary<FilesystemRole, long> { [FilesystemRole.Volumes] = 6 * GiB };
        var filesystems = CapacityPlan.Group([On(FilesystemRole.Volumes, 1, 100 * GiB, 20 * GiB)], Options, committed);

        Assert.Equal(4 * GiB, filesystems[0].AvailableForNewWork);
        Assert.Null(CapacityPlan.FirstShortfall(filesystems, [new SpaceClaim(FilesystemRole.Volumes, 4 * GiB)]));
        Assert.NotNull(CapacityPlan.FirstShortfall(filesystems, [new SpaceClaim(FilesystemRole.Volumes, 4 * GiB + 1)]));
    }

    [Fact]
    public void ClaimsOnOneFilesystemAddUp()
    {
        // An upload and its import on the same filesystem need its length twice.
        var filesystems = CapacityPlan.Group([On(FilesystemRole.Uploads, 1, 100 * GiB, 5 * GiB), On(FilesystemRole.Images, 1, 100 * GiB, 5 * GiB)], Options);
        SpaceClaim[] upload(long n) => [new(FilesystemRole.Uploads, n), new(FilesystemRole.Images, n)];

        Assert.Null(CapacityPlan.FirstShortfall(filesystems, upload(2 * GiB)));
        Assert.NotNull(CapacityPlan.FirstShortfall(filesystems, upload(2 * GiB + 1)));
    }

    [Fact]
    public void AFilesystemInsideItsReserveIsLowAndAdmitsNothingNotEvenAReflink()
    {
        var filesystems = CapacityPlan.Group([On(FilesystemRole.Volumes, 1, 100 * GiB, 9 * GiB)], Options);

        Assert.True(filesystems[0].Low);
        Assert.NotNull(CapacityPlan.FirstShortfall(filesystems, [new SpaceClaim(FilesystemRole.Volumes, 0)]));
    }

    [Fact]
    public void ClaimsOnRolesThatAreNotMeasuredAreNotRefused()
    {
        var filesystems = CapacityPlan.Group([On(FilesystemRole.Volumes, 1, 100 * GiB, 50 * GiB)], Options);

        Assert.Null(CapacityPlan.FirstShortfall(filesystems, [new SpaceClaim(FilesystemRole.Database, 100 * GiB)]));
    }

    [Fact]
    public void TwoDirectoriesOfOneFilesystemHaveOneDevice()
    {
        var temp = FilesystemSpace.Measure(Path.GetTempPath());
        var missing = FilesystemSpace.Measure(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "not", "made"));
        var proc = FilesystemSpace.Measure("/proc");

        Assert.Equal(temp.Device, missing.Device);
        Assert.NotEqual(temp.Device, proc.Device);
        Assert.True(temp.CapacityBytes > 0 && temp.FreeBytes >= 0 && temp.FreeBytes <= temp.CapacityBytes);
    }
}
