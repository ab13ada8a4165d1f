namespace BladeProvisioner.Core.Boot;

/// <summary>
/// Boot tickets: the DHCP service's proof that a boot is one it is answering right now. Each DHCP answer to iPXE
/// carries a fresh ticket in its boot URL; the boot conversation admits a blade only with a ticket issued for its
/// boot MAC (and, once known, the address the answer gave it), spends it on first use, and lets it live only
/// <see cref="BootOptions.TicketLifetime"/>. A process on a running OS never sees one: iPXE's DHCP exchange is gone
/// by then, and asking for a new one needs a raw socket on port 68 (root).
/// Implemented by the Boot module over the cluster-wide table, so any node admits what any node issued.
/// </summary>
public interface IBootTickets
{
    /// <summary>A fresh one-time ticket, as URL-safe text. Throws when it cannot be stored: answer nothing then.</summary>
    Task<string> IssueAsync(BootTicketGrant grant, CancellationToken ct);
}
