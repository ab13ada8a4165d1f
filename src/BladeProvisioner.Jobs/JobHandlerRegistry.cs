using System.Diagnostics.CodeAnalysis;

namespace BladeProvisioner.Jobs;

/// <summary>Handlers by kind, from DI.</summary>
internal sealed class JobHandlerRegistry(IEnumerable<IJobHandler> handlers)
{
    private readonly Dictionary<string, IJobHandler> _byKind = handlers.ToDictionary(h => h.Kind, StringComparer.Ordinal);

    public IReadOnlyCollection<string> Kinds => _byKind.Keys;

    public bool TryGet(string kind, [NotNullWhen(true)] out IJobHandler? handler) => _byKind.TryGetValue(kind, out handler);
}
