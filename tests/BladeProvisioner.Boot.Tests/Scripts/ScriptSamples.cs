using BladeProvisioner.Boot.Scripts;
using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Boot.Tests.Scripts;

/// <summary>One known blade, the same in every script test: blade 17, boot NIC 52:54:00:12:34:56.</summary>
internal static class ScriptSamples
{
    public const string InitiatorIqn = "iqn.2026-11.com.example.bp:initiator.525400123456";
    public const string TargetIqn = "iqn.2026-11.com.example.bp:blade.17";

    public static readonly Uri BaseUri = new("http://10.99.0.1:8080/");

    public static BootLinks Links(string? token = null) => new(BaseUri, 17, token);

    public static MenuScript Menu() => new(
        Links(),
        "blade 17 (52:54:00:12:34:56)",
        BootPlatform.Bios,
        [new MenuImage(3, "debian-12 v2"), new MenuImage(5, "Ubuntu \"24.04 LTS\" server v1")]);

    public static SanbootScript Sanboot(bool mutual) => new(
        Links(),
        InitiatorIqn,
        "10.99.0.1",
        TargetIqn,
        new ChapCredentials("bp-blade-17", "Kq7hTz3mWp9xRb2N"))
    {
        MutualChap = mutual ? new ChapCredentials("bp-target-17", "Vn4sJd8fYc6gHt5L") : null,
        Description = "debian-12 v2",
    };

    public static ProgressScript Progress() => new(Links(), "debian-12 v2")
    {
        Percent = 25,
        BytesPerSecond = 118.5 * 1024 * 1024,
        BytesDone = 1L << 30,
        BytesTotal = 4L << 30,
        Stage = "cloning",
    };

    public static ErrorScript Error() => new(Links(), "The image \"debian-12 v2\" was paused by an administrator; choose another one.")
    {
        Code = "IMAGE_NOT_ACTIVE",
    };
}
