using System.Globalization;

namespace BladeProvisioner.Bench.Storm;

/// <summary>The storm's command line: <c>--name value</c> pairs.</summary>
internal sealed class StormOptions
{
    public int Blades { get; private set; } = 20;
    public string Interface { get; private set; } = "eth0";
    public byte MacByte { get; private set; } = 0x5a;
    public int UefiEvery { get; private set; } = 2;
    public TimeSpan Spread { get; private set; } = TimeSpan.FromSeconds(1);
    public int BlockSize { get; private set; } = 1432;
    public int WindowSize { get; private set; } = 4;
    public long ReadBytes { get; private set; } = 8 << 20;
    public TimeSpan DhcpTimeout { get; private set; } = TimeSpan.FromSeconds(4);
    public TimeSpan HttpTimeout { get; private set; } = TimeSpan.FromSeconds(30);
    public TimeSpan BladeTimeout { get; private set; } = TimeSpan.FromMinutes(10);
    public string? Json { get; private set; }
    public string Label { get; private set; } = "storm";

    public static StormOptions Parse(string[] args)
    {
        var o = new StormOptions();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var v = args[i + 1];
            switch (args[i])
            {
                case "--blades": o.Blades = Int(v); break;
                case "--interface": o.Interface = v; break;
                case "--mac-byte": o.MacByte = byte.Parse(v, NumberStyles.HexNumber, CultureInfo.InvariantCulture); break;
                case "--uefi-every": o.UefiEvery = Int(v); break;
                case "--spread": o.Spread = TimeSpan.FromSeconds(double.Parse(v, CultureInfo.InvariantCulture)); break;
                case "--blksize": o.BlockSize = Int(v); break;
                case "--windowsize": o.WindowSize = Int(v); break;
                case "--read-mib": o.ReadBytes = (long)Int(v) << 20; break;
                case "--dhcp-timeout": o.DhcpTimeout = TimeSpan.FromSeconds(double.Parse(v, CultureInfo.InvariantCulture)); break;
                case "--blade-timeout": o.BladeTimeout = TimeSpan.FromSeconds(Int(v)); break;
                case "--json": o.Json = v; break;
                case "--label": o.Label = v; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        return o;
    }

    private static int Int(string v) => int.Parse(v, CultureInfo.InvariantCulture);
}
