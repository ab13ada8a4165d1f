namespace BladeProvisioner.Storage.Targets;

/// <summary>The targets the database says must exist (secrets already decrypted), in a stable order.</summary>
public interface IDesiredTargetSource
{
    Task<IReadOnlyList<TargetSpec>> GetDesiredAsync(CancellationToken ct);
}
