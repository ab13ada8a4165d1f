using System.Text.Json;
using BladeProvisioner.Storage.Cloning;
using BladeProvisioner.Storage.Partitioning;
using BladeProvisioner.Storage.Tests.Cloning.Support;
using static BladeProvisioner.Storage.Tests.Cloning.Support.SparseFiles;

namespace BladeProvisioner.Storage.Tests.Partitioning;

/// <summary>
/// Donors built with sfdisk/sgdisk/mkfs, cloned and personalised by our code, then judged by the same tools:
/// <c>sfdisk --json</c> for the layout and identifiers, <c>sgdisk -v</c> for GPT integrity.
/// </summary>
public sealed class VolumePartitionerToolTests : IDisposable
{
    private const long DonorSize = 64 * MiB;
    private const long VolumeSize = 128 * MiB;
    private readonly ScratchDirectory _dir = new();
    private readonly VolumePartitioner _partitioner = new();
    private readonly VolumeCopier _copier = new();

    public void Dispose()
    {
        _copier.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task MbrCloneGetsNewSignatureAndLastPartitionGrown()
    {
        var donor = await MbrDonorAsync();
        var donorTable = await Tools.SfdiskJsonAsync(donor);

        var (first, firstTable) = await CloneAndPersonalizeAsync(donor, "a.raw");
        var (_, secondTable) = await CloneAndPersonalizeAsync(donor, "b.raw");

        Assert.Equal("dos", firstTable.GetProperty("label").GetString());
        Assert.Equal("0x12345678", first.DiskIdentifierBefore);
        Assert.Equal(first.DiskIdentifierAfter, firstTable.GetProperty("id").GetString());
        Assert.NotEqual("0x12345678", first.DiskIdentifierAfter);
        Assert.NotEqual(firstTable.GetProperty("id").GetString(), secondTable.GetProperty("id").GetString());

        var before = Partitions(donorTable);
        var after = Partitions(firstTable);
        Assert.Equal(3, after.Length);
        Assert.Equal(before[..2], after[..2]);
        Assert.Equal(before[2].Start, after[2].Start);
        Assert.Equal(VolumeSize / 512, after[2].Start + after[2].Size);
        Assert.True(first.LastPartitionGrown);
        Assert.Equal("*", Bootable(firstTable, 0));

        var verify = await Tools.TryRunAsync("sfdisk", "--verify", Path.Combine(_dir.Path, "a.raw"));
        Assert.True(verify.ExitCode == 0, verify.StandardOutput + verify.StandardError);
        var layout = await _partitioner.VerifyAsync(Path.Combine(_dir.Path, "a.raw"), TestContext.Current.CancellationToken);
        Assert.Equal(first.Layout, layout with { Partitions = first.Layout.Partitions });
    }

    [Fact]
    public async Task GptCloneGetsNewGuidsGrownLastPartitionAndBackupAtTheNewEnd()
    {
        var donor = _dir.File("gpt-donor.raw");
        CreateData(donor, 0, DonorSize);
        await Tools.RunAsync(
            "sgdisk", "-n", "1:2048:+16M", "-t", "1:ef00", "-c", "1:esp", "-n", "2:0:+16M", "-t", "2:8300", "-n", "3:0:0", "-t", "3:8300", donor);
        var donorTable = await Tools.SfdiskJsonAsync(donor);

        var (first, firstTable) = await CloneAndPersonalizeAsync(donor, "a.raw");
        var (second, secondTable) = await CloneAndPersonalizeAsync(donor, "b.raw");

        foreach (var volume in new[] { "a.raw", "b.raw" })
        {
            var check = await Tools.RunAsync("sgdisk", "-v", Path.Combine(_dir.Path, volume));
            Assert.Contains("No problems found", check.StandardOutput, StringComparison.Ordinal);
        }

        Assert.Equal("gpt", firstTable.GetProperty("label").GetString());
        Assert.Equal(donorTable.GetProperty("id").GetString(), first.DiskIdentifierBefore);
        Assert.Equal(first.DiskIdentifierAfter, firstTable.GetProperty("id").GetString());
        Assert.NotEqual(first.DiskIdentifierBefore, first.DiskIdentifierAfter);
        Assert.NotEqual(first.DiskIdentifierAfter, second.DiskIdentifierAfter);
        Assert.Equal(VolumeSize / 512 - 34, firstTable.GetProperty("lastlba").GetInt64());

        var before = Partitions(donorTable);
        var after = Partitions(firstTable);
        Assert.Equal(before[..2], after[..2]);
        Assert.Equal(VolumeSize / 512 - 34, after[2].Start + after[2].Size - 1);
        var uuids = Uuids(donorTable).Concat(Uuids(firstTable)).Concat(Uuids(secondTable)).ToList();
        Assert.Equal(9, uuids.Distinct().Count());
        Assert.Equal("esp", firstTable.GetProperty("partitions")[0].GetProperty("name").GetString());
        Assert.Equal(first.Layout.Partitions.Select(p => p.UniqueGuid?.ToString("D").ToUpperInvariant()), Uuids(firstTable));
    }

    [Fact]
    public async Task MbrWhoseLastPartitionIsExtendedKeepsItsSizeButGetsANewSignature()
    {
        var donor = _dir.File("ext-donor.raw");
        CreateData(donor, 0, DonorSize);
        await Tools.RunWithInputAsync("sfdisk", "label: dos\nlabel-id: 0x0badcafe\n,16M,83\n,,5\n,8M,83\n", "--quiet", donor);

        var (result, table) = await CloneAndPersonalizeAsync(donor, "v.raw");

        Assert.False(result.LastPartitionGrown);
        Assert.NotEqual("0x0badcafe", table.GetProperty("id").GetString());
        Assert.Equal(3, Partitions(table).Length);
        var verify = await Tools.TryRunAsync("sfdisk", "--verify", _dir.File("v.raw"));
        Assert.True(verify.ExitCode == 0, verify.StandardOutput + verify.StandardError);
    }

    [Fact]
    public async Task CorruptBackupGptIsCaughtByVerification()
    {
        var donor = _dir.File("gpt-donor.raw");
        CreateData(donor, 0, DonorSize);
        await Tools.RunAsync("sgdisk", "-n", "1:2048:0", donor);
        await CloneAndPersonalizeAsync(donor, "v.raw");
        using (var f = File.OpenHandle(_dir.File("v.raw"), FileMode.Open, FileAccess.Write))
        {
            RandomAccess.Write(f, "x"u8, VolumeSize - 512 + 60);
        }

        var ex = await Assert.ThrowsAsync<PartitionTableException>(() => _partitioner.VerifyAsync(_dir.File("v.raw"), TestContext.Current.CancellationToken));

        Assert.Equal(PartitionTableError.BadHeaderCrc, ex.Code);
    }

    [Fact]
    public async Task DonorCopiedIntoALargerVolumeFailsVerificationUntilPersonalised()
    {
        var donor = _dir.File("gpt-donor.raw");
        CreateData(donor, 0, DonorSize);
        await Tools.RunAsync("sgdisk", "-n", "1:2048:0", donor);
        var volume = _dir.File("v.raw");
        await _copier.CopyAsync(new CopyRequest(donor, volume, VolumeSize), null, TestContext.Current.CancellationToken);

        var ex = await Assert.ThrowsAsync<PartitionTableException>(() => _partitioner.VerifyAsync(volume, TestContext.Current.CancellationToken));
        Assert.Equal(PartitionTableError.BadHeaderField, ex.Code);

        await _partitioner.PersonalizeAsync(volume, VolumeSize, PersonalizeOptions.Default, TestContext.Current.CancellationToken);
        var layout = await _partitioner.VerifyAsync(volume, TestContext.Current.CancellationToken);
        Assert.Equal(PartitionScheme.Gpt, layout.Scheme);
    }

    [Fact]
    public async Task PersonalisingTwiceIsSafe()
    {
        var donor = _dir.File("gpt-donor.raw");
        CreateData(donor, 0, DonorSize);
        await Tools.RunAsync("sgdisk", "-n", "1:2048:+8M", "-n", "2:0:0", donor);
        var (first, _) = await CloneAndPersonalizeAsync(donor, "v.raw");

        var again = await _partitioner.PersonalizeAsync(_dir.File("v.raw"), VolumeSize, PersonalizeOptions.Default, TestContext.Current.CancellationToken);

        Assert.Equal(first.DiskIdentifierAfter, again.DiskIdentifierBefore);
        Assert.False(again.LastPartitionGrown);
        var check = await Tools.RunAsync("sgdisk", "-v", _dir.File("v.raw"));
        Assert.Contains("No problems found", check.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("new backup written, primary and MBR still the donor's")]
    [InlineData("new GPT written, MBR still the donor's")]
    public async Task InterruptedPersonalisationIsRepairedByRunningItAgain(string state)
    {
        var donor = _dir.File("gpt-donor.raw");
        CreateData(donor, 0, DonorSize);
        await Tools.RunAsync("sgdisk", "-n", "1:2048:+8M", "-n", "2:0:0", donor);
        await CloneAndPersonalizeAsync(donor, "v.raw");
        var volume = _dir.File("v.raw");

        // Put back the donor's sectors that a crash would have left unwritten.
        var restore = state.StartsWith("new backup", StringComparison.Ordinal) ? 34 * 512 : 512;
        var original = new byte[restore];
        using (var d = File.OpenHandle(donor))
        using (var v = File.OpenHandle(volume, FileMode.Open, FileAccess.Write))
        {
            Read(d, original, 0);
            RandomAccess.Write(v, original, 0);
        }

        var again = await _partitioner.PersonalizeAsync(volume, VolumeSize, PersonalizeOptions.Default, TestContext.Current.CancellationToken);

        Assert.Equal(PartitionScheme.Gpt, again.Layout.Scheme);
        var check = await Tools.RunAsync("sgdisk", "-v", volume);
        Assert.Contains("No problems found", check.StandardOutput, StringComparison.Ordinal);
        await _partitioner.VerifyAsync(volume, TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData(PartitionScheme.Mbr)]
    [InlineData(PartitionScheme.Gpt)]
    public async Task BareExt4DonorIsPlacedInANewSinglePartitionAtOneMiB(PartitionScheme scheme)
    {
        var donor = _dir.File("ext4.raw");
        await Tools.RunAsync("mkfs.ext4", "-q", "-F", "-L", "bladeroot", donor, "32M");
        var ct = TestContext.Current.CancellationToken;
        var plan = await _partitioner.PlanAsync(donor, ct);
        Assert.Equal(PartitionScheme.BareFilesystem, plan.DonorScheme);
        Assert.Equal(FilesystemKind.Ext, plan.Filesystem);
        Assert.Equal(MiB, plan.DestinationOffset);
        var volume = _dir.File("v.raw");

        await _copier.CopyAsync(new CopyRequest(donor, volume, 64 * MiB) { DestinationOffset = plan.DestinationOffset }, null, ct);
        var result = await _partitioner.PersonalizeAsync(
            volume, 64 * MiB, new PersonalizeOptions { Plan = plan, BareFilesystemScheme = scheme }, ct);

        Assert.Equal(PartitionScheme.BareFilesystem, result.DonorScheme);
        Assert.Null(result.DiskIdentifierBefore);
        var table = await Tools.SfdiskJsonAsync(volume);
        Assert.Equal(scheme == PartitionScheme.Mbr ? "dos" : "gpt", table.GetProperty("label").GetString());
        var parts = Partitions(table);
        Assert.Single(parts);
        Assert.Equal(2048, parts[0].Start);
        Assert.Equal(scheme == PartitionScheme.Mbr ? "83" : "0FC63DAF-8483-4772-8E79-3D69D8477DE4", parts[0].Type);
        AssertSameBytes(donor, volume, MiB);
        var fsck = await Tools.RunAsync("e2fsck", "-fn", volume + "?offset=1048576");
        Assert.Equal(0, fsck.ExitCode);
        if (scheme == PartitionScheme.Gpt)
        {
            Assert.Contains("No problems found", (await Tools.RunAsync("sgdisk", "-v", volume)).StandardOutput, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("16", "33792", "e")]
    [InlineData("32", "66000", "c")]
    public async Task BareFatDonorGetsTheMatchingFatPartitionType(string fatBits, string kib, string expectedType)
    {
        var donor = _dir.File("fat.raw");
        await Tools.RunAsync("mkfs.vfat", "-F", fatBits, "-C", donor, kib);
        var ct = TestContext.Current.CancellationToken;
        var plan = await _partitioner.PlanAsync(donor, ct);
        Assert.Equal(FilesystemKind.Fat, plan.Filesystem);
        var volume = _dir.File("v.raw");

        await _copier.CopyAsync(new CopyRequest(donor, volume, plan.MinimumVolumeSize) { DestinationOffset = plan.DestinationOffset }, null, ct);
        await _partitioner.PersonalizeAsync(volume, plan.MinimumVolumeSize, new PersonalizeOptions { Plan = plan }, ct);

        var parts = Partitions(await Tools.SfdiskJsonAsync(volume));
        Assert.Equal(expectedType, parts[0].Type);
        AssertSameBytes(donor, volume, MiB);
    }

    [Fact]
    public async Task BareFilesystemCopiedAtOffsetZeroIsATypedError()
    {
        var donor = _dir.File("ext4.raw");
        await Tools.RunAsync("mkfs.ext4", "-q", "-F", donor, "16M");

        var ex = await Assert.ThrowsAsync<PartitionTableException>(() =>
            _partitioner.PersonalizeAsync(donor, 32 * MiB, PersonalizeOptions.Default, TestContext.Current.CancellationToken));

        Assert.Equal(PartitionTableError.Unsupported, ex.Code);
    }

    [Fact]
    public async Task CorruptGptHeaderIsATypedError()
    {
        var donor = _dir.File("gpt-donor.raw");
        CreateData(donor, 0, DonorSize);
        await Tools.RunAsync("sgdisk", "-n", "1:2048:0", donor);
        using (var f = File.OpenHandle(donor, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.Write(f, "broken"u8, 512 + 60);
        }

        var ex = await Assert.ThrowsAsync<PartitionTableException>(() =>
            _partitioner.PersonalizeAsync(donor, DonorSize, PersonalizeOptions.Default, TestContext.Current.CancellationToken));

        Assert.Equal(PartitionTableError.BadHeaderCrc, ex.Code);
        Assert.Equal("PARTITION_TABLE_BAD_HEADER_CRC", ex.ErrorCode);
    }

    [Fact]
    public async Task VolumeShorterThanTheFileIsRefused()
    {
        var donor = await MbrDonorAsync();

        var ex = await Assert.ThrowsAsync<PartitionTableException>(() =>
            _partitioner.PersonalizeAsync(donor, DonorSize / 2, PersonalizeOptions.Default, TestContext.Current.CancellationToken));

        Assert.Equal(PartitionTableError.VolumeTooSmall, ex.Code);
    }

    private async Task<string> MbrDonorAsync()
    {
        var donor = _dir.File("mbr-donor.raw");
        CreateData(donor, 0, DonorSize);
        await Tools.RunWithInputAsync(
            "sfdisk", "label: dos\nlabel-id: 0x12345678\n,16M,c,*\n,16M,82\n,,83\n", "--quiet", donor);
        return donor;
    }

    private async Task<(PersonalizeResult Result, JsonElement Table)> CloneAndPersonalizeAsync(string donor, string name)
    {
        var ct = TestContext.Current.CancellationToken;
        var volume = _dir.File(name);
        await _copier.CopyAsync(new CopyRequest(donor, volume, VolumeSize), null, ct);
        var result = await _partitioner.PersonalizeAsync(volume, VolumeSize, PersonalizeOptions.Default, ct);
        return (result, await Tools.SfdiskJsonAsync(volume));
    }

    private static (long Start, long Size, string Type)[] Partitions(JsonElement table) =>
        [.. table.GetProperty("partitions").EnumerateArray()
            .Select(p => (p.GetProperty("start").GetInt64(), p.GetProperty("size").GetInt64(), p.GetProperty("type").GetString()!))];

    private static string?[] Uuids(JsonElement table) =>
        [.. table.GetProperty("partitions").EnumerateArray().Select(p => p.GetProperty("uuid").GetString())];

    private static string? Bootable(JsonElement table, int index) =>
        table.GetProperty("partitions")[index].TryGetProperty("bootable", out var b) && b.GetBoolean() ? "*" : null;
}
