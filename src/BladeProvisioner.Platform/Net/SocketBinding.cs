using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace BladeProvisioner.Platform.Net;

/// <summary>
/// Per-interface sockets for the provisioning services: a socket bound to a device sees only that interface's
/// packets (Linux SO_BINDTODEVICE), so DHCP and TFTP never answer on a network they were not told to serve.
/// </summary>
public static class SocketBinding
{
    private const int SolSocket = 1;
    private const int SoBindToDevice = 25;

    /// <summary>Binds <paramref name="socket"/> to the named interface. Needs CAP_NET_RAW (root) on Linux.</summary>
    public static void BindToDevice(Socket socket, string interfaceName)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentException.ThrowIfNullOrWhiteSpace(interfaceName);
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Binding to an interface needs Linux SO_BINDTODEVICE.");
        }

        var name = Encoding.ASCII.GetBytes(interfaceName + "\0");
        if (name.Length > 16)
        {
            throw new ArgumentException($"Interface name '{interfaceName}' is longer than IFNAMSIZ.", nameof(interfaceName));
        }

        socket.SetRawSocketOption(SolSocket, SoBindToDevice, name);
    }

    /// <summary>Whether the process may bind to a device (root or CAP_NET_RAW).</summary>
    public static bool CanBindToDevice() => OperatingSystem.IsLinux() && GetEffectiveUserId() == 0;

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUserId();
}
