using System.Net;
using BladeProvisioner.Core.Hosting;

namespace BladeProvisioner.Appliance.Hosting.Listeners;

/// <summary>
/// Set on every connection by the listener that accepted it (Kestrel connection middleware), so a request's plane is
/// the socket it came in on — never its Host header or path. A request without it is answered 404.
/// </summary>
internal sealed class ListenerPlaneFeature(ListenerPlanes plane, IEnumerable<string> names, IEnumerable<IPAddress> addresses)
{
    private readonly HashSet<string> _names = new(names.Select(Normalize), StringComparer.Ordinal);
    private readonly HashSet<IPAddress> _addresses = [.. addresses.Select(Normalize)];

    public ListenerPlanes Plane { get; } = plane;

    /// <summary>
    /// The request's Host is this appliance: a configured or machine name, <c>localhost</c>, a bound or loopback
    /// address, or the very address the client connected to. A DNS-rebinding page's own name is none of these. No Host
    /// at all (HTTP/1.0, a load balancer's probe) is admitted: a browser always sends one, so it cannot be a rebinding.
    /// </summary>
    public bool Admits(string host, IPAddress? localAddress)
    {
        var name = Normalize(host);
        if (name.Length == 0)
        {
            return true;
        }

        if (!IPAddress.TryParse(name, out var literal))
        {
            return _names.Contains(name);
        }

        literal = Normalize(literal);
        return IPAddress.IsLoopback(literal) || _addresses.Contains(literal) || (localAddress is not null && literal.Equals(Normalize(localAddress)));
    }

    private static string Normalize(string host) => host.Trim().Trim('[', ']').TrimEnd('.').ToLowerInvariant();

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
