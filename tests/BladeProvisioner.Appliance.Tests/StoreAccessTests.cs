using BladeProvisioner.Testing;

namespace BladeProvisioner.Appliance.Tests;

/// <summary>Donor images and blade volumes are readable by the appliance's account only, never by another local user.</summary>
public sealed class StoreAccessTests(PostgresServer postgres)
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    [Fact]
    public async Task AnotherLocalUserCannotReadADonorImage()
    {
        Prerequisites.RequireProgram("/usr/sbin/runuser");
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApplianceFactory(await postgres.CreateEmptyDatabaseAsync("store"));
        await factory.Services.WaitReadyAsync(ct);
        using var api = factory.CreateClient();
        await TestImages.ImportAsync(api, factory, "private-image", "Bios", ct);

        var images = Path.Combine(factory.DataDirectory, "images");
        var volumes = Path.Combine(factory.DataDirectory, "volumes");
        var donor = Path.Combine(images, "private-image", "v1.raw");
        Assert.True(File.Exists(donor), donor);
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(images));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(Path.Combine(images, "private-image")));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(volumes));

        // The unprivileged account every Debian system has tries to read the donor, and to list the volumes.
        var read = TestNetwork.Run("runuser", ["-u", "nobody", "--", "head", "-c", "1", donor], TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, read.ExitCode);
        Assert.Contains("Permission denied", read.Stderr, StringComparison.Ordinal);
        var list = TestNetwork.Run("runuser", ["-u", "nobody", "--", "ls", volumes], TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, list.ExitCode);
    }
}
