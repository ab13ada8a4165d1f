namespace BladeProvisioner.Core.Hosting;

/// <summary>
/// The appliance's two HTTP listeners: the blades' plain-HTTP provisioning listener and the operators' HTTPS
/// management listener. An endpoint says where it is served with <see cref="ServedOn"/>; one that says nothing is
/// management-only.
/// </summary>
[Flags]
public enum ListenerPlanes
{
    None = 0,

    /// <summary>The boot network: <c>/boot/**</c> (and the health probes), nothing an operator uses.</summary>
    Provisioning = 1,

    /// <summary>The UI, <c>/api</c>, sign-in, setup, the job dashboard, metrics.</summary>
    Management = 2,

    Both = Provisioning | Management,
}
