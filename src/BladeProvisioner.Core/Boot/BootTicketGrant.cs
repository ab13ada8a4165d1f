using System.Net;

namespace BladeProvisioner.Core.Boot;

/// <summary>Who a boot ticket is for.</summary>
/// <param name="Mac">The boot MAC the DHCP answer went to (canonical lower-case colon form).</param>
/// <param name="Address">The address that answer gave the client, when it gave one (a proxy answer does not: the
/// ticket then binds to the address it is first used from).</param>
/// <param name="Via">What issued it, for the audit trail: <c>dhcp</c>, <c>proxy</c>.</param>
public sealed record BootTicketGrant(string Mac, IPAddress? Address, string Via);
