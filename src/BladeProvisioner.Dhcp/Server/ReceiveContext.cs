using System.Net;

namespace BladeProvisioner.Dhcp.Server;

/// <summary>Where a request arrived: the provisioning interface, our address on it, and the local port (67 or 4011).</summary>
internal sealed record ReceiveContext(string Interface, uint ServerAddress, int LocalPort, IPEndPoint Source);
