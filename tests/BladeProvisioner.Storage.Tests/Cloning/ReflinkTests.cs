using BladeProvisioner.Storage.Cloning;
using BladeProvisioner.Storage.Tests.Cloning.Support;
using static BladeProvisioner.Storage.Tests.Cloning.Support.SparseFiles;

namespace BladeProvisioner.Storage.Tests.Cloning;

/// <summary>FICLONE / FICLONERANGE on a real loop-mounted XFS (mkfs.xfs -m reflink=1).</summary>
public sealed class ReflinkTests(XfsLoopMount xfs) : IClassFixture<XfsLoopMount>, IDisposable
{
    private readonly VolumeCopier _copier = new();

    public void Dispose() => _copier.Dispose();

    private string OnXfs(string name) => Path.Combine(xfs.MountPoint, Guid.NewGuid().ToString("N")[..8] + "-" + name);

    [Fact]
    public async Task CloneOnXfsIsAReflinkAndInstant()
    {
        xfs.Require();
        var source = OnXfs("donor.raw");
        var volume = OnXfs("volume.raw");
        CreateData(source, 64 * MiB, 256 * MiB);
        CopyProgress? last = null;

        var result = await _copier.CopyAsync(
            new CopyRequest(source, volume, 300 * MiB),
            new SyncProgress<CopyProgress>(p => last = p),
            TestContext.Current.CancellationToken);

        Assert.True(result.Reflinked);
        Assert.Equal(0, result.DataBytesCopied);
        Assert.Equal(300 * MiB, new FileInfo(volume).Length);
        Assert.Equal(256 * MiB, last?.DurableOffset);
        AssertSameBytes(source, volume);
        Assert.True(IsHole(volume, 64 * MiB, 236 * MiB));
    }

    [Fact]
    public async Task ReflinkAtAnOffsetUsesCloneRange()
    {
        xfs.Require();
        var source = OnXfs("donor.raw");
        var volume = OnXfs("volume.raw");
        CreateMixed(source, seed: 8);

        var result = await _copier.CopyAsync(
            new CopyRequest(source, volume, 64 * MiB) { DestinationOffset = MiB, ComputeSha256 = true },
            null,
            TestContext.Current.CancellationToken);

        Assert.True(result.Reflinked);
        AssertSameBytes(source, volume, MiB);
        Assert.True(IsHole(volume, 0, MiB));
        Assert.Equal(await Tools.Sha256SumAsync(source), result.Sha256);
    }

    [Fact]
    public async Task AcrossFilesystemsTheCopyPathIsUsed()
    {
        xfs.Require();
        using var local = new ScratchDirectory();
        var source = OnXfs("donor.raw");
        CreateMixed(source, seed: 9);

        var result = await _copier.CopyAsync(
            new CopyRequest(source, local.File("volume.raw"), 64 * MiB), null, TestContext.Current.CancellationToken);

        Assert.False(result.Reflinked);
        AssertSameBytes(source, local.File("volume.raw"));
    }

    [Fact]
    public async Task ReflinkCanBeTurnedOff()
    {
        xfs.Require();
        var source = OnXfs("donor.raw");
        var volume = OnXfs("volume.raw");
        CreateData(source, 8 * MiB);

        var result = await _copier.CopyAsync(
            new CopyRequest(source, volume, 8 * MiB) { AllowReflink = false }, null, TestContext.Current.CancellationToken);

        Assert.False(result.Reflinked);
        Assert.Equal(8 * MiB, result.DataBytesCopied);
        AssertSameBytes(source, volume);
    }
}
