using System.Collections.Frozen;
using BladeProvisioner.Core.Naming;
using BladeProvisioner.Dhcp.Configuration;

namespace BladeProvisioner.Dhcp.Scopes;

/// <summary>
/// The configured scopes, compiled and checked. Overlapping subnets, ranges outside their subnet and duplicate
/// reservations are configuration errors, each message naming the keys involved.
/// </summary>
internal sealed class ScopeTable
{
    private ScopeTable(IReadOnlyList<DhcpScope> scopes) => Scopes = scopes;

    public IReadOnlyList<DhcpScope> Scopes { get; }

    public DhcpScope? FindContaining(uint address)
    {
        foreach (var s in Scopes)
        {
            if (s.Contains(address))
            {
                return s;
            }
        }

        return null;
    }

    public DhcpScope? FindByName(string name) => Scopes.FirstOrDefault(s => s.Name == name);

    public static ScopeTable Compile(IEnumerable<DhcpScopeOptions> options)
    {
        var errors = new List<string>();
        var table = TryCompile(options, errors);
        return errors.Count == 0 ? table : throw new InvalidOperationException(string.Join(" ", errors));
    }

    public static ScopeTable TryCompile(IEnumerable<DhcpScopeOptions> options, List<string> errors)
    {
        var scopes = new List<DhcpScope>();
        var keys = new List<string>();
        int index = 0;
        foreach (var o in options)
        {
            var key = $"Dhcp:Scopes:{index++} ('{o.Name}')";
            var scope = CompileOne(o, key, errors);
            if (scope is null)
            {
                continue;
            }

            for (int i = 0; i < scopes.Count; i++)
            {
                var other = scopes[i];
                if (other.Name == scope.Name)
                {
                    errors.Add($"{key}: name '{scope.Name}' is already used by {keys[i]}.");
                }

                if ((scope.Network & other.Mask) == other.Network || (other.Network & scope.Mask) == scope.Network)
                {
                    errors.Add($"{key}: subnet {o.Subnet} overlaps {keys[i]} subnet {Ipv4.Format(other.Network)}/{other.Prefix}.");
                }
            }

            scopes.Add(scope);
            keys.Add(key);
        }

        return new ScopeTable(scopes);
    }

    private static DhcpScope? CompileOne(DhcpScopeOptions o, string key, List<string> errors)
    {
        int before = errors.Count;
        if (string.IsNullOrWhiteSpace(o.Name))
        {
            errors.Add($"{key}: Name is required.");
        }

        if (!Ipv4.TryParseCidr(o.Subnet, out var network, out var prefix))
        {
            errors.Add($"{key}: Subnet '{o.Subnet}' is not a network in CIDR form such as 10.99.20.0/24 (prefix 1-30, host bits zero).");
            return null;
        }

        uint mask = Ipv4.MaskFromPrefix(prefix);
        uint broadcast = network | ~mask;
        bool Usable(uint a) => (a & mask) == network && a != network && a != broadcast;

        var ranges = new List<(uint, uint)>();
        foreach (var r in o.Ranges)
        {
            if (!Ipv4.TryParseRange(r, out var first, out var last))
            {
                errors.Add($"{key}: range '{r}' is not 'first-last' with first <= last.");
            }
            else if (!Usable(first) || !Usable(last))
            {
                errors.Add($"{key}: range '{r}' lies outside subnet {o.Subnet} (or includes its network or broadcast address).");
            }
            else
            {
                foreach (var (f, l) in ranges)
                {
                    if (first <= l && f <= last)
                    {
                        errors.Add($"{key}: range '{r}' overlaps range '{Ipv4.Format(f)}-{Ipv4.Format(l)}'.");
                    }
                }

                ranges.Add((first, last));
            }
        }

        uint? router = null;
        if (!string.IsNullOrWhiteSpace(o.Router))
        {
            if (!Ipv4.TryParse(o.Router, out var rt) || !Usable(rt))
            {
                errors.Add($"{key}: Router '{o.Router}' is not an address inside subnet {o.Subnet}.");
            }
            else
            {
                router = rt;
            }
        }

        var dns = new List<uint>();
        foreach (var d in o.DnsServers)
        {
            if (Ipv4.TryParse(d, out var a))
            {
                dns.Add(a);
            }
            else
            {
                errors.Add($"{key}: DnsServers entry '{d}' is not an IPv4 address.");
            }
        }

        var byMac = new Dictionary<string, DhcpReservation>(StringComparer.Ordinal);
        var byAddress = new Dictionary<uint, DhcpReservation>();
        foreach (var r in o.Reservations)
        {
            if (!MacAddressText.TryNormalize(r.Mac, out var mac))
            {
                errors.Add($"{key}: reservation MAC '{r.Mac}' is not a MAC address.");
                continue;
            }

            if (!Ipv4.TryParse(r.Address, out var addr) || !Usable(addr))
            {
                errors.Add($"{key}: reservation {mac} address '{r.Address}' is not inside subnet {o.Subnet}.");
                continue;
            }

            var reservation = new DhcpReservation(mac, addr, string.IsNullOrWhiteSpace(r.Hostname) ? null : r.Hostname.Trim());
            if (!byMac.TryAdd(mac, reservation))
            {
                errors.Add($"{key}: duplicate reservation for MAC {mac} ({Ipv4.Format(byMac[mac].Address)} and {r.Address}).");
            }

            if (!byAddress.TryAdd(addr, reservation))
            {
                errors.Add($"{key}: duplicate reservation of address {r.Address} ({byAddress[addr].Mac} and {mac}).");
            }
        }

        if (errors.Count != before)
        {
            return null;
        }

        return new DhcpScope
        {
            Name = o.Name.Trim(),
            Network = network,
            Prefix = prefix,
            Ranges = ranges,
            Router = router,
            DnsServers = [.. dns],
            Domain = string.IsNullOrWhiteSpace(o.Domain) ? null : o.Domain.Trim(),
            LeaseTime = o.LeaseTime,
            ReservationsByMac = byMac.ToFrozenDictionary(StringComparer.Ordinal),
            ReservationsByAddress = byAddress.ToFrozenDictionary(),
        };
    }
}
