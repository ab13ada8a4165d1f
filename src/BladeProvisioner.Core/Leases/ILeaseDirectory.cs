using System.Net;

namespace BladeProvisioner.Core.Leases;

/// <summary>
/// What the DHCP module's leases say about blades, for the modules that must not read its table: the timeline (which
/// blade is behind an address?) and decommissioning (the blade's addresses are given back). A lease is no proof of
/// identity for the boot conversation: that takes a boot ticket (<see cref="Boot.IBootTickets"/>).
/// Implemented by the Dhcp module over the cluster-wide lease table, so every node gives the same answer.
/// </summary>
public interface ILeaseDirectory
{
    /// <summary>Whether <paramref name="address"/> holds an unexpired bound lease for the boot MAC <paramref name="mac"/>.</summary>
    Task<bool> IsBoundToAsync(string mac, IPAddress address, CancellationToken ct);

    /// <summary>The blade behind each address that holds a bound lease (the most recent one); addresses without one are absent.</summary>
    Task<IReadOnlyDictionary<IPAddress, long>> BladesHoldingAsync(IReadOnlyCollection<IPAddress> addresses, CancellationToken ct);

    /// <summary>Releases every bound or offered lease of the boot MAC <paramref name="mac"/> now; returns how many.</summary>
    Task<int> ReleaseAllAsync(string mac, CancellationToken ct);
}
