namespace BladeProvisioner.Storage.Tests.Targets.Lab;

/// <summary>One lab (and tgtd) per test class; tests call <see cref="Require"/> so a missing prerequisite fails or skips each test.</summary>
public sealed class TgtLabFixture : IAsyncLifetime
{
    private TgtLab? _lab;

    public TgtLab Require()
    {
        LabPrerequisites.Require();
        return _lab ?? throw new InvalidOperationException("The lab could not be set up; see the fixture's error.");
    }

    public async ValueTask InitializeAsync()
    {
        if (LabPrerequisites.Missing() is null)
        {
            _lab = await TgtLab.CreateAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_lab is not null)
        {
            await _lab.DisposeAsync();
        }
    }
}
