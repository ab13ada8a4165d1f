using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using BladeProvisioner.Dhcp.Scopes;
using BladeProvisioner.Platform.Net;

namespace BladeProvisioner.Dhcp.Hosting;

/// <summary>Per-interface sockets (SO_BINDTODEVICE) and the ARP ioctl, on Linux.</summary>
internal sealed class LinuxNetworkEnvironment : INetworkEnvironment
{
    private const nuint SiocSarp = 0x8955;
    private const int AtfCom = 0x02;
    private const ushort ArphrdEther = 1;

    public Socket OpenUdp(string interfaceName, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Broadcast, true);
            socket.ReceiveBufferSize = 4 * 1024 * 1024;
            socket.SendBufferSize = 4 * 1024 * 1024;
            SocketBinding.BindToDevice(socket, interfaceName);
            socket.Bind(new IPEndPoint(IPAddress.Any, port));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public Socket OpenIcmp(string interfaceName)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Icmp);
        try
        {
            SocketBinding.BindToDevice(socket, interfaceName);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public uint? GetIPv4Address(string interfaceName)
    {
        var nic = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == interfaceName);
        var address = nic?.GetIPProperties().UnicastAddresses.FirstOrDefault(a => a.Address.AddressFamily == AddressFamily.InterNetwork);
        return address is null ? null : Ipv4.ToUInt32(address.Address);
    }

    public bool TryAddNeighbour(Socket socket, string interfaceName, uint address, ReadOnlySpan<byte> hardwareAddress)
    {
        // struct arpreq { sockaddr arp_pa; sockaddr arp_ha; int arp_flags; sockaddr arp_netmask; char arp_dev[16]; }
        var req = new byte[68];
        MemoryMarshal.Write(req, (ushort)AddressFamily.InterNetwork); // sa_family is host order
        BinaryPrimitives.WriteUInt32BigEndian(req.AsSpan(4), address);
        MemoryMarshal.Write(req.AsSpan(16), ArphrdEther);
        hardwareAddress[..6].CopyTo(req.AsSpan(18));
        MemoryMarshal.Write(req.AsSpan(32), AtfCom);
        Encoding.ASCII.GetBytes(interfaceName, req.AsSpan(52, 15));
        return Ioctl((int)socket.Handle, SiocSarp, req) == 0;
    }

    [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static extern int Ioctl(int fd, nuint request, byte[] argument);
}
