namespace BladeProvisioner.Dhcp.Leases;

internal sealed class PendingWrite(LeaseWrite write)
{
    public LeaseWrite Write { get; } = write;

    public TaskCompletionSource<bool> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
