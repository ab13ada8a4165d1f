namespace BladeProvisioner.Dhcp.Leases;

/// <summary>The lease database could not make a write durable; the exchange is abandoned without an answer.</summary>
public sealed class LeaseStoreUnavailableException : Exception
{
    public LeaseStoreUnavailableException()
    {
    }

    public LeaseStoreUnavailableException(string message)
        : base(message)
    {
    }

    public LeaseStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
