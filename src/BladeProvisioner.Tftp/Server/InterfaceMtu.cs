using System.Globalization;

namespace BladeProvisioner.Tftp.Server;

/// <summary>The blksize that fits one unfragmented datagram on an interface (RFC 2348 §1: fragmentation is to be avoided).</summary>
internal static class InterfaceMtu
{
    public const int EthernetBlockSize = 1468;

    private const int Overhead = 20 + 8 + 4; // IPv4, UDP, TFTP DATA header

    public static int BlockSizeFor(string? device)
    {
        if (device is null || device.Contains('/', StringComparison.Ordinal) || device.Contains("..", StringComparison.Ordinal))
        {
            return EthernetBlockSize;
        }

        try
        {
            var text = File.ReadAllText($"/sys/class/net/{device}/mtu").Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var mtu) && mtu > Overhead + 8
                ? Math.Min(mtu - Overhead, 65464)
                : EthernetBlockSize;
        }
        catch (IOException)
        {
            return EthernetBlockSize;
        }
        catch (UnauthorizedAccessException)
        {
            return EthernetBlockSize;
        }
    }
}
