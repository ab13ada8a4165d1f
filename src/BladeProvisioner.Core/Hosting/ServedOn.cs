namespace BladeProvisioner.Core.Hosting;

/// <summary>Endpoint metadata: the listeners an endpoint answers on. Endpoints without it answer on the management listener only.</summary>
public sealed record ServedOn(ListenerPlanes Planes);
