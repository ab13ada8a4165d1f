using BladeProvisioner.Storage.Targets;

namespace BladeProvisioner.Storage.Tests.Targets;

/// <summary>Stands in for the boot_volumes table.</summary>
internal sealed class FakeDesiredTargets : IDesiredTargetSource
{
    private readonly Lock _lock = new();
    private List<TargetSpec> _specs = [];

    public void Set(params TargetSpec[] specs)
    {
        lock (_lock)
        {
            _specs = [.. specs];
        }
    }

    public Task<IReadOnlyList<TargetSpec>> GetDesiredAsync(CancellationToken ct)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<TargetSpec>>([.. _specs]);
        }
    }
}
