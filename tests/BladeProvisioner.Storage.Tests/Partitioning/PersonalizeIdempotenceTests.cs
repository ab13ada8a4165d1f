using System.Security.Cryptography;
using BladeProvisioner.Storage.Cloning;
using BladeProvisioner.Storage.Partitioning;
using BladeProvisioner.Storage.Tests.Cloning.Support;
using static BladeProvisioner.Storage.Tests.Cloning.Support.SparseFiles;

namespace BladeProvisioner.Storage.Tests.Partitioning;

/// <summary>
/// A resumed clone personalises a volume a second time: with the identifier seed it recorded, the second run writes
/// exactly the bytes of the first (the same identifiers, the tables already grown), whatever the donor's layout.
/// </summary>
public sealed class PersonalizeIdempotenceTests : IDisposable
{
    private const long DonorSize = 32 * MiB;
    private const long VolumeSize = 64 * MiB;
    private readonly ScratchDirectory _dir = new();
    private readonly VolumePartitioner _partitioner = new();
    private readonly VolumeCopier _copier = new();

    public void Dispose()
    {
        _copier.Dispose();
        _dir.Dispose();
    }

    [Theory]
    [InlineData("mbr")]
    [InlineData("gpt")]
    [InlineData("bare-mbr")]
    [InlineData("bare-gpt")]
    public async Task PersonalisingTwiceWithTheSameSeedWritesTheSameBytes(string layout)
    {
        var ct = TestContext.Current.CancellationToken;
        var donor = await DonorAsync(layout);
        var plan = await _partitioner.PlanAsync(donor, ct);
        var scheme = layout == "bare-gpt" ? PartitionScheme.Gpt : PartitionScheme.Mbr;
        var seed = RandomNumberGenerator.GetBytes(16);
        var options = new PersonalizeOptions { Plan = plan, BareFilesystemScheme = scheme, IdentifierSeed = seed };

        var volume = _dir.File("a.raw");
        await _copier.CopyAsync(new CopyRequest(donor, volume, VolumeSize) { DestinationOffset = plan.DestinationOffset }, null, ct);
        var first = await _partitioner.PersonalizeAsync(volume, VolumeSize, options, ct);
        var once = Sha256(volume);
        var again = await _partitioner.PersonalizeAsync(volume, VolumeSize, options, ct);

        Assert.Equal(once, Sha256(volume));
        Assert.Equal(first.DiskIdentifierAfter, again.DiskIdentifierAfter);
        await _partitioner.VerifyAsync(volume, ct);

        // Another volume's seed gives other identifiers; the donor's are replaced either way.
        var other = _dir.File("b.raw");
        await _copier.CopyAsync(new CopyRequest(donor, other, VolumeSize) { DestinationOffset = plan.DestinationOffset }, null, ct);
        var second = await _partitioner.PersonalizeAsync(other, VolumeSize, options with { IdentifierSeed = RandomNumberGenerator.GetBytes(16) }, ct);
        Assert.NotEqual(first.DiskIdentifierAfter, second.DiskIdentifierAfter);
        if (first.DiskIdentifierBefore is { } before)
        {
            Assert.NotEqual(before, first.DiskIdentifierAfter);
        }
    }

    private async Task<string> DonorAsync(string layout)
    {
        var donor = _dir.File($"{layout}-donor.raw");
        switch (layout)
        {
            case "mbr":
                CreateData(donor, 0, DonorSize);
                await Tools.RunWithInputAsync("sfdisk", "label: dos\nlabel-id: 0x12345678\n,8M,c,*\n,,83\n", "--quiet", donor);
                break;
            case "gpt":
                CreateData(donor, 0, DonorSize);
                await Tools.RunAsync("sgdisk", "-n", "1:2048:+8M", "-t", "1:ef00", "-n", "2:0:0", "-t", "2:8300", donor);
                break;
            default:
                await Tools.RunAsync("mkfs.ext4", "-q", "-F", "-L", "bladeroot", donor, "16M");
                break;
        }

        return donor;
    }

    private static string Sha256(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }
}
