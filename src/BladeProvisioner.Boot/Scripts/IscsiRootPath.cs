using System.Globalization;
using System.Net;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Naming;

namespace BladeProvisioner.Boot.Scripts;

/// <summary>
/// The iSCSI boot URI of RFC 4173 §5: <c>iscsi:&lt;servername&gt;:&lt;protocol&gt;:&lt;port&gt;:&lt;LUN&gt;:&lt;targetname&gt;</c>.
/// Protocol is left empty (TCP), the port empty when it is 3260, the LUN in hexadecimal (SAM LUN structure, first
/// level; tgt's LUN 1 is "1"). The target name is last, so the colons inside an IQN need no escaping. An IPv6 portal
/// is written in brackets, as iPXE parses it.
/// </summary>
internal static class IscsiRootPath
{
    public const int DefaultPort = 3260;

    public static string Format(string server, string targetIqn, int lun = 1, int port = DefaultPort)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(server);
        ArgumentOutOfRangeException.ThrowIfNegative(lun);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(lun, 255);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);

        var problem = Iqn.Validate(targetIqn);
        if (problem is not null)
        {
            throw DomainException.Invalid(ErrorCodes.InvalidIqn, $"Target '{targetIqn}' is not a valid IQN: {problem}.");
        }

        var host = server.Trim().Trim('[', ']');
        string serverText;
        if (IPAddress.TryParse(host, out var address))
        {
            serverText = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        }
        else if (Uri.CheckHostName(host) == UriHostNameType.Dns)
        {
            serverText = host.ToLowerInvariant();
        }
        else
        {
            throw new ArgumentException($"'{server}' is not an IP address or host name.", nameof(server));
        }

        var portText = port == DefaultPort ? string.Empty : port.ToString(CultureInfo.InvariantCulture);
        return $"iscsi:{serverText}::{portText}:{lun.ToString("x", CultureInfo.InvariantCulture)}:{targetIqn}";
    }
}
