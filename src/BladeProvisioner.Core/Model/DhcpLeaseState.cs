namespace BladeProvisioner.Core.Model;

public enum DhcpLeaseState
{
    Offered,
    Bound,
    Released,
    Declined,
    Expired,
}
