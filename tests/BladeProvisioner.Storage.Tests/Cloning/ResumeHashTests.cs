using System.Security.Cryptography;
using BladeProvisioner.Storage.Cloning;
using BladeProvisioner.Storage.Tests.Cloning.Support;
using static BladeProvisioner.Storage.Tests.Cloning.Support.SparseFiles;

namespace BladeProvisioner.Storage.Tests.Cloning;

/// <summary>
/// The SHA-256 a resumed copy returns vouches for the donor: the prefix copied by an earlier run is hashed from the
/// source, so a destination whose block 0 was already personalised does not read as a changed donor.
/// </summary>
public sealed class ResumeHashTests : IDisposable
{
    private readonly ScratchDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    public async Task ResumedCopyHashesTheDonorNotTheAlreadyChangedVolume(double resumedAt)
    {
        var ct = TestContext.Current.CancellationToken;
        var source = _dir.File("donor.raw");
        CreateMixed(source);
        var size = new FileInfo(source).Length;
        var expected = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(source)));
        var volume = _dir.File("volume.raw");
        using var copier = new VolumeCopier();
        await copier.CopyAsync(new CopyRequest(source, volume, size) { AllowReflink = false }, null, ct);

        // Personalisation rewrote block 0 before the kill; the checkpoint says the copy reached resumedAt.
        using (var f = File.OpenHandle(volume, FileMode.Open, FileAccess.Write))
        {
            RandomAccess.Write(f, RandomNumberGenerator.GetBytes(512), 0);
        }

        var resume = (long)(size * resumedAt) / 4096 * 4096;
        var result = await copier.CopyAsync(
            new CopyRequest(source, volume, size) { ResumeOffset = resume, ComputeSha256 = true, AllowReflink = false }, null, ct);

        Assert.Equal(expected, result.Sha256);
    }
}
