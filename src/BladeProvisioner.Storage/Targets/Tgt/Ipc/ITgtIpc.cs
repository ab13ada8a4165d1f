namespace BladeProvisioner.Storage.Targets.Tgt.Ipc;

/// <summary>Sends one management request to tgtd and returns its text answer (empty for changes).</summary>
internal interface ITgtIpc
{
    /// <exception cref="TgtIpcException">tgtd refused the request, or no well-formed answer came.</exception>
    Task<string> SendAsync(TgtIpcRequest request, CancellationToken ct);
}
