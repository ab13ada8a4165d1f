using System.Text.RegularExpressions;

namespace BladeProvisioner.EndToEnd;

/// <summary>The test donor's one line: <c>BLADEPROVISIONER-OS-UP host=… target=… image=… initiator=…</c>.</summary>
internal sealed partial record OsMarker(string Host, string Target, string Image, string Initiator)
{
    public static readonly Regex Any = MarkerPattern();

    public static OsMarker Parse(string line)
    {
        var m = UpPattern().Match(line);
        Assert.True(m.Success, $"the blade's OS did not come up: {line}");
        return new OsMarker(m.Groups["host"].Value, m.Groups["target"].Value, m.Groups["image"].Value, m.Groups["initiator"].Value);
    }

    [GeneratedRegex("BLADEPROVISIONER-OS-(UP|FAIL)")]
    private static partial Regex MarkerPattern();

    [GeneratedRegex(@"BLADEPROVISIONER-OS-UP host=(?<host>\S+) target=(?<target>\S+) image=(?<image>\S+) initiator=(?<initiator>\S+)")]
    private static partial Regex UpPattern();
}

/// <summary>
/// The OS's view of itself, printed by the test donor just before its marker:
/// <c>BLADEPROVISIONER-IDENTITY machine-id=… hostname=… ssh=SHA256:… root=/dev/sda2 root-bytes=… root-fs=ext4 image=…</c>.
/// </summary>
internal sealed partial record OsIdentity(string MachineId, string Hostname, string Ssh, string RootDevice, long RootBytes, string RootFs, string Image)
{
    public static readonly Regex Any = IdentityPattern();

    /// <summary>Every identity line in <paramref name="serial"/>, first to last (a rebooted OS prints one per boot).</summary>
    public static List<OsIdentity> All(string serial) => IdentityPattern().Matches(serial).Select(From).ToList();

    /// <summary>The last identity line in <paramref name="serial"/> (a console log read from the boot's offset).</summary>
    public static OsIdentity Last(string serial)
    {
        var m = IdentityPattern().Matches(serial).LastOrDefault();
        Assert.True(m is not null, $"the blade's OS printed no identity line:\n{serial[Math.Max(0, serial.Length - 2000)..]}");
        return From(m);
    }

    private static OsIdentity From(Match m) => new(
        m.Groups["id"].Value, m.Groups["host"].Value, m.Groups["ssh"].Value, m.Groups["root"].Value,
        long.Parse(m.Groups["bytes"].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups["fs"].Value, m.Groups["image"].Value);

    [GeneratedRegex(@"BLADEPROVISIONER-IDENTITY machine-id=(?<id>\S+) hostname=(?<host>\S+) ssh=(?<ssh>\S+) root=(?<root>\S+) root-bytes=(?<bytes>\d+) root-fs=(?<fs>\S+) image=(?<image>\S+)")]
    private static partial Regex IdentityPattern();
}

/// <summary>
/// The image a scenario picks in the menu and what its OS shows: the menu's name for it, the image label its OS prints,
/// whether it prints the test donor's <see cref="OsMarker"/> too, where its root partition starts, how long its OS takes
/// from sanboot to its identity line under TCG, and the blade memory it needs.
/// </summary>
internal sealed record DonorOs(string MenuName, string Image, bool PrintsMarker, long RootOffsetBytes, TimeSpan OsTimeout, int MemoryMiB, string RootFs = "ext4")
{
    /// <summary>A busybox test donor (<c>test-donor-vN</c>): the root partition starts 97 MiB in; its OS is up seconds after sanboot.</summary>
    public static DonorOs TestDonor(string image) => new("test-donor", image, true, 97L << 20, TimeSpan.FromMinutes(3), 384);

    /// <summary>
    /// A Debian donor of images/build-debian-donor.sh (<c>debian-12</c>, <c>debian-12-dracut</c>): root is partition 3 at
    /// 128 MiB; the kernel, an initramfs that logs in from the iBFT, and systemd take minutes under TCG on a busy machine.
    /// </summary>
    public static DonorOs Debian(string variant) => new(variant, variant, false, 128L << 20, TimeSpan.FromMinutes(12), 1024);
}
