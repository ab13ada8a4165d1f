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
