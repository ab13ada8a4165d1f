using System.Diagnostics;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Storage.Cloning;
using BladeProvisioner.Storage.Tests.Cloning.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static BladeProvisioner.Storage.Tests.Cloning.Support.SparseFiles;

namespace BladeProvisioner.Storage.Tests.Cloning;

public sealed class VolumeCopierTests : IDisposable
{
    private readonly ScratchDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static VolumeCopier Copier(Action<CloneOptions>? configure = null)
    {
        var options = new CloneOptions { CheckpointBytes = 16 * MiB };
        configure?.Invoke(options);
        return new VolumeCopier(Options.Create(options), NullLogger<VolumeCopier>.Instance);
    }

    [Fact]
    public async Task SparseCopyKeepsBytesAndHolesAndSkipsZeroBlocks()
    {
        var source = _dir.File("donor.raw");
        var volume = _dir.File("volume.raw");
        CreateMixed(source);
        using var copier = Copier();

        var result = await copier.CopyAsync(
            new CopyRequest(source, volume, 64 * MiB) { AllowReflink = false }, null, TestContext.Current.CancellationToken);

        Assert.False(result.Reflinked);
        Assert.Equal((48 * MiB) + 1000, result.BytesTotal);
        Assert.Equal(64 * MiB, new FileInfo(volume).Length);
        AssertSameBytes(source, volume);
        Assert.True(IsHole(volume, 0, MiB), "the leading hole must stay a hole");
        Assert.True(IsHole(volume, 12 * MiB, MiB), "a written all-zero MiB must not be written");
        Assert.True(IsHole(volume, (48 * MiB) + 4096, (16 * MiB) - 4096), "the extension must be sparse");

        // 8 zero blocks inside the data extent and the zero MiB are not written; whole 4 KiB blocks are (the block
        // holding the 512-byte end of an extent goes out complete), except at the end of the file.
        var expectedData = (8 * MiB) - (8 * 4096) + (16 * 1024) + (2 * MiB) + 4096 + 1000;
        Assert.Equal(expectedData, result.DataBytesCopied);
        Assert.True(await Tools.AllocatedBlocksAsync(volume) < await Tools.AllocatedBlocksAsync(source));
    }

    [Fact]
    public async Task Sha256CoversTheLogicalContentWithHolesAsZeros()
    {
        var source = _dir.File("donor.raw");
        CreateMixed(source, seed: 3);
        using var copier = Copier();

        var result = await copier.CopyAsync(
            new CopyRequest(source, _dir.File("v.raw"), 48 * MiB + 1000) { ComputeSha256 = true, AllowReflink = false },
            null,
            TestContext.Current.CancellationToken);

        Assert.Equal(await Tools.Sha256SumAsync(source), result.Sha256);
    }

    [Fact]
    public async Task ResumeAfterCrashDiscardsTornTailAndGivesIdenticalBytesAndHash()
    {
        var source = _dir.File("donor.raw");
        var volume = _dir.File("volume.raw");
        CreateMixed(source, seed: 4);
        using var copier = Copier();
        var ct = TestContext.Current.CancellationToken;
        await copier.CopyAsync(new CopyRequest(source, volume, 64 * MiB) { AllowReflink = false }, null, ct);

        // A crash after the 4 MiB checkpoint: garbage after it (torn writes, and a block where the source is zero).
        using (var f = File.OpenHandle(volume, FileMode.Open, FileAccess.Write))
        {
            var junk = new byte[64 * 1024];
            new Random(9).NextBytes(junk);
            RandomAccess.Write(f, junk, 5 * MiB);
            RandomAccess.Write(f, junk, 12 * MiB);
            RandomAccess.Write(f, junk, 50 * MiB);
        }

        var resumed = await copier.CopyAsync(
            new CopyRequest(source, volume, 64 * MiB) { ResumeOffset = 4 * MiB, ComputeSha256 = true }, null, ct);

        AssertSameBytes(source, volume);
        Assert.True(IsHole(volume, 12 * MiB, MiB));
        Assert.True(IsHole(volume, 49 * MiB, 15 * MiB));
        Assert.Equal(await Tools.Sha256SumAsync(source), resumed.Sha256);
        Assert.True(resumed.DataBytesCopied < (8 * MiB) + (3 * MiB), "only the part after the checkpoint is copied again");
    }

    [Fact]
    public async Task ResumeFromAReportedDurableOffsetAfterCancellation()
    {
        var source = _dir.File("donor.raw");
        var volume = _dir.File("volume.raw");
        CreateData(source, 40 * MiB, 48 * MiB);
        using var copier = Copier();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        long durable = 0;
        var progress = new SyncProgress<CopyProgress>(p =>
        {
            Assert.True(p.DurableOffset <= p.BytesDone && p.BytesDone <= p.BytesTotal);
            if (p.DurableOffset > 0 && durable == 0)
            {
                durable = p.DurableOffset;
                cts.Cancel();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => copier.CopyAsync(
            new CopyRequest(source, volume, 48 * MiB) { BytesPerSecondLimit = 20 * MiB, AllowReflink = false }, progress, cts.Token));
        Assert.True(durable > 0);
        Assert.True(File.Exists(volume), "without DeleteDestinationOnFailure the partial volume is kept for a resume");

        var result = await copier.CopyAsync(
            new CopyRequest(source, volume, 48 * MiB) { ResumeOffset = durable, ComputeSha256 = true },
            null,
            TestContext.Current.CancellationToken);

        AssertSameBytes(source, volume);
        Assert.Equal(await Tools.Sha256SumAsync(source), result.Sha256);
    }

    [Fact]
    public async Task CancellationWithCleanupLeavesNoFile()
    {
        var source = _dir.File("donor.raw");
        var volume = _dir.File("volume.raw");
        CreateData(source, 32 * MiB);
        using var copier = Copier();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var progress = new SyncProgress<CopyProgress>(_ => cts.Cancel());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => copier.CopyAsync(
            new CopyRequest(source, volume, 32 * MiB) { BytesPerSecondLimit = 8 * MiB, DeleteDestinationOnFailure = true },
            progress,
            cts.Token));

        Assert.False(File.Exists(volume));
    }

    [Fact]
    public async Task BandwidthCapSlowsTheCopy()
    {
        var source = _dir.File("donor.raw");
        CreateData(source, 24 * MiB);
        using var copier = Copier();
        var clock = Stopwatch.StartNew();

        await copier.CopyAsync(
            new CopyRequest(source, _dir.File("v.raw"), 24 * MiB) { BytesPerSecondLimit = 16 * MiB, AllowReflink = false },
            null,
            TestContext.Current.CancellationToken);

        // 24 MiB at 16 MiB/s is 1.5 s; allow for the first chunk going out unpaced.
        var seconds = clock.Elapsed.TotalSeconds;
        Assert.True(seconds >= 1.2, $"the copy took {seconds:F2} s, faster than the cap allows");
    }

    [Fact]
    public async Task ConcurrentCopiesBeyondTheCapWaitForASlot()
    {
        var source = _dir.File("donor.raw");
        CreateData(source, 8 * MiB);
        using var copier = Copier(o => o.MaxConcurrentClones = 1);
        var ct = TestContext.Current.CancellationToken;
        var clock = Stopwatch.StartNew();

        // Each copy is paced to about 0.5 s; one slot means they finish one after another.
        var finished = await Task.WhenAll(Enumerable.Range(0, 3).Select(async i =>
        {
            await copier.CopyAsync(
                new CopyRequest(source, _dir.File($"v{i}.raw"), 8 * MiB) { BytesPerSecondLimit = 16 * MiB, AllowReflink = false },
                null,
                ct);
            return clock.Elapsed.TotalSeconds;
        }));

        Array.Sort(finished);
        Assert.True(finished[2] >= 1.2, $"three capped copies finished after {finished[2]:F2} s: they ran side by side");
    }

    [Fact]
    public async Task DestinationSmallerThanSourceIsATypedErrorAndCreatesNothing()
    {
        var source = _dir.File("donor.raw");
        var volume = _dir.File("volume.raw");
        CreateData(source, 2 * MiB);
        using var copier = Copier();

        var ex = await Assert.ThrowsAsync<DomainException>(() => copier.CopyAsync(
            new CopyRequest(source, volume, MiB), null, TestContext.Current.CancellationToken));

        Assert.Equal(ErrorCodes.VolumeTooSmall, ex.Code);
        Assert.False(File.Exists(volume));
    }

    [Fact]
    public async Task DestinationOffsetPlacesTheDonorAfterAHole()
    {
        var source = _dir.File("donor.raw");
        var volume = _dir.File("volume.raw");
        CreateMixed(source, seed: 6);
        using var copier = Copier();

        var result = await copier.CopyAsync(
            new CopyRequest(source, volume, 52 * MiB) { DestinationOffset = MiB, ComputeSha256 = true, AllowReflink = false },
            null,
            TestContext.Current.CancellationToken);

        AssertSameBytes(source, volume, MiB);
        Assert.True(IsHole(volume, 0, 2 * MiB));
        Assert.Equal(await Tools.Sha256SumAsync(source), result.Sha256);
    }

    [Fact]
    public async Task EmptySourceGivesAnEmptySparseVolume()
    {
        var source = _dir.File("empty.raw");
        await File.WriteAllBytesAsync(source, [], TestContext.Current.CancellationToken);
        using var copier = Copier();

        var result = await copier.CopyAsync(
            new CopyRequest(source, _dir.File("v.raw"), 8 * MiB) { ComputeSha256 = true }, null, TestContext.Current.CancellationToken);

        Assert.Equal(0, result.DataBytesCopied);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", result.Sha256);
        Assert.True(IsHole(_dir.File("v.raw"), 0, 8 * MiB));
    }
}
