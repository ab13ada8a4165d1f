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
internal sealed partial record OsIdentity(string MachineId, string Hostname, string Ssh, string RootDevice, long RootBytes, string Image)
{
    /// <summary>The last identity line in <paramref name="serial"/> (a console log read from the boot's offset).</summary>
    public static OsIdentity Last(string serial)
    {
        var m = IdentityPattern().Matches(serial).LastOrDefault();
        Assert.True(m is not null, $"the blade's OS printed no identity line:\n{serial[Math.Max(0, serial.Length - 2000)..]}");
        return new OsIdentity(
            m.Groups["id"].Value, m.Groups["host"].Value, m.Groups["ssh"].Value, m.Groups["root"].Value,
            long.Parse(m.Groups["bytes"].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups["image"].Value);
    }

    [GeneratedRegex(@"BLADEPROVISIONER-IDENTITY machine-id=(?<id>\S+) hostname=(?<host>\S+) ssh=(?<ssh>\S+) root=(?<root>\S+) root-bytes=(?<bytes>\d+) root-fs=\S+ image=(?<image>\S+)")]
    private static partial Regex IdentityPattern();
}
