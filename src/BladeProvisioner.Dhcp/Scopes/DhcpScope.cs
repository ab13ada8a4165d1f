using System.Collections.Frozen;

namespace BladeProvisioner.Dhcp.Scopes;

/// <summary>A validated scope: subnet, pools and reservations in the form the allocator uses.</summary>
internal sealed class DhcpScope
{
    public required string Name { get; init; }
    public required uint Network { get; init; }
    public required int Prefix { get; init; }
    public uint Mask => Ipv4.MaskFromPrefix(Prefix);
    public uint BroadcastAddress => Network | ~Mask;
    public required IReadOnlyList<(uint First, uint Last)> Ranges { get; init; }
    public uint? Router { get; init; }
    public required uint[] DnsServers { get; init; }
    public string? Domain { get; init; }
    public required TimeSpan LeaseTime { get; init; }

    /// <summary>Reservations by lower-case colon MAC.</summary>
    public required FrozenDictionary<string, DhcpReservation> ReservationsByMac { get; init; }

    public required FrozenDictionary<uint, DhcpReservation> ReservationsByAddress { get; init; }

    public bool Contains(uint address) => (address & Mask) == Network;

    public bool InRanges(uint address)
    {
        foreach (var (first, last) in Ranges)
        {
            if (address >= first && address <= last)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="mac"/> may hold <paramref name="address"/> in this scope.</summary>
    public bool IsAssignable(uint address, string mac) =>
        ReservationsByAddress.TryGetValue(address, out var r) ? r.Mac == mac : InRanges(address);
}
