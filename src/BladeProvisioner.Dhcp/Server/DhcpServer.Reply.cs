using BladeProvisioner.Core.Boot;
using BladeProvisioner.Dhcp.Boot;
using BladeProvisioner.Dhcp.Protocol;
using BladeProvisioner.Dhcp.Scopes;

namespace BladeProvisioner.Dhcp.Server;

internal sealed partial class DhcpServer
{
    private const int MaxReplyLength = 1472; // Ethernet MTU less IP and UDP headers.

    /// <summary>What goes into one reply besides the header fields copied from the request.</summary>
    private readonly record struct ReplyContent(
        DhcpMessageType Type,
        uint YourAddress,
        uint ServerAddress,
        DhcpScope? Scope,
        TimeSpan? LeaseTime,
        string? Hostname,
        BootDecision? Boot,
        ClientInfo Client,
        string? Message = null);

    private static byte[] BuildReply(DhcpMessage request, in ReplyContent c)
    {
        int max = request.GetUInt16Option(DhcpOptionCode.MaxMessageSize) is ushort m ? Math.Min((int)m, MaxReplyLength) : 576;
        Span<byte> buffer = stackalloc byte[MaxReplyLength];
        var w = new DhcpReplyWriter(buffer, request, c.Type, max);
        w.WriteUInt32(DhcpOptionCode.ServerIdentifier, c.ServerAddress);
        if (c.Type == DhcpMessageType.Nak)
        {
            // RFC 2131 §4.3.2: a relayed NAK is broadcast by the relay.
            if (request.RelayAddress != 0)
            {
                w.SetBroadcastFlag();
            }

            w.WriteString(DhcpOptionCode.Message, c.Message);
            EchoRelayInformation(request, ref w);
            return buffer[..w.Finish()].ToArray();
        }

        if (c.Type == DhcpMessageType.Ack && request.MessageType == DhcpMessageType.Inform)
        {
            w.SetClientAddress(request.ClientAddress);
        }
        else if (request.MessageType == DhcpMessageType.Request && request.ClientAddress != 0)
        {
            w.SetClientAddress(request.ClientAddress);
        }

        w.SetYourAddress(c.YourAddress);
        if (c.LeaseTime is TimeSpan lease)
        {
            uint seconds = (uint)Math.Min(lease.TotalSeconds, uint.MaxValue - 1);
            w.WriteUInt32(DhcpOptionCode.LeaseTime, seconds);
            w.WriteUInt32(DhcpOptionCode.RenewalTime, seconds / 2);          // RFC 2131 §4.4.5: T1 = 0.5
            w.WriteUInt32(DhcpOptionCode.RebindingTime, (uint)(seconds * 0.875)); // T2 = 0.875
        }

        if (c.Scope is { } scope)
        {
            w.WriteUInt32(DhcpOptionCode.SubnetMask, scope.Mask);
            w.WriteUInt32(DhcpOptionCode.BroadcastAddress, scope.BroadcastAddress);
            if (scope.Router is uint router)
            {
                w.WriteAddresses(DhcpOptionCode.Router, [router]);
            }

            w.WriteAddresses(DhcpOptionCode.DomainNameServer, scope.DnsServers);
            w.WriteString(DhcpOptionCode.DomainName, scope.Domain);
        }

        w.WriteString(DhcpOptionCode.HostName, c.Hostname);
        WriteBoot(request, c, ref w);
        EchoRelayInformation(request, ref w);
        return buffer[..w.Finish()].ToArray();
    }

    private static void WriteBoot(DhcpMessage request, in ReplyContent c, ref DhcpReplyWriter w)
    {
        if (c.Boot is not { } boot)
        {
            return;
        }

        // siaddr, 'file' and options 66/67 agree: TFTP clients read siaddr/file, others the options.
        w.SetServerAddress(c.ServerAddress);
        var file = boot.Ticket is null ? boot.BootFile : BootUrls.WithTicket(boot.BootFile, boot.Ticket);
        w.SetBootFile(file);
        if (!boot.IsUrl)
        {
            w.WriteString(DhcpOptionCode.TftpServerName, Ipv4.Format(c.ServerAddress));
        }

        w.WriteString(DhcpOptionCode.BootFileName, file);
        if (boot.VendorClassReply is { } vendor)
        {
            // Echoing the vendor class tells PXE and HTTP-boot firmware this answer is for them (PXE 2.1 §2.2).
            w.WriteString(DhcpOptionCode.VendorClass, vendor);
            if (vendor == "PXEClient")
            {
                // Option 43, PXE_DISCOVERY_CONTROL (6) = 8: boot the file named here, no boot-server discovery.
                w.WriteOption(DhcpOptionCode.VendorSpecific, [6, 1, 8, 255]);
            }
        }

        if (c.Client.IsIpxe && c.Scope is not null)
        {
            // Address server (not proxy): iPXE's encapsulated option 175, no-pxedhcp (176) = 1: do not wait for ProxyDHCP offers. Without it iPXE
            // spends about two seconds per DHCP listening for offers that will never come.
            w.WriteOption(DhcpOptionCode.IpxeEncapsulated, [176, 1, 1]);
        }

        if (c.Client.HasMachineIdOption && request.TryGetOption(DhcpOptionCode.ClientMachineId, out var uuid))
        {
            w.WriteOption(DhcpOptionCode.ClientMachineId, uuid.Span);
        }
    }

    /// <summary>RFC 3046 §2.2: option 82 is echoed unchanged in every reply.</summary>
    private static void EchoRelayInformation(DhcpMessage request, ref DhcpReplyWriter w)
    {
        if (request.TryGetOption(DhcpOptionCode.RelayAgentInformation, out var relay))
        {
            w.WriteOption(DhcpOptionCode.RelayAgentInformation, relay.Span);
        }
    }
}
