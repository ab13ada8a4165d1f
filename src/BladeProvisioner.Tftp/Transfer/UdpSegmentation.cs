using System.Net.Sockets;

namespace BladeProvisioner.Tftp.Transfer;

/// <summary>
/// Linux UDP generic segmentation offload (UDP_SEGMENT, kernel 4.18+) for windows: one send carries up to 64
/// back-to-back DATA packets, which the kernel splits at a fixed segment size. Anything the kernel refuses (old
/// kernel, segment too large for the path MTU) switches the transfer back to one send per packet for good.
/// </summary>
internal sealed class UdpSegmentation
{
    private const int SolUdp = 17;
    private const int UdpSegment = 103;
    private const int KernelMaxSegments = 64;
    private const int MaxUdpPayload = 65507;

    private int _segmentSize;
    private bool _unavailable = !OperatingSystem.IsLinux();

    /// <summary>Segments per send for the enabled segment size.</summary>
    public int MaxSegments { get; private set; } = 1;

    public bool Enable(Socket socket, int segmentSize)
    {
        if (_unavailable)
        {
            return false;
        }

        if (_segmentSize == segmentSize)
        {
            return true;
        }

        MaxSegments = Math.Min(KernelMaxSegments, MaxUdpPayload / segmentSize);
        if (MaxSegments < 2)
        {
            _unavailable = true;
            return false;
        }

        try
        {
            socket.SetRawSocketOption(SolUdp, UdpSegment, BitConverter.GetBytes(segmentSize));
            _segmentSize = segmentSize;
            return true;
        }
        catch (SocketException)
        {
            _unavailable = true;
            return false;
        }
    }

    public bool TrySend(Socket socket, ReadOnlySpan<byte> run)
    {
        try
        {
            socket.Send(run);
            return true;
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.InvalidArgument or SocketError.MessageSize or SocketError.OperationNotSupported)
        {
            _unavailable = true;
            return false;
        }
    }
}
