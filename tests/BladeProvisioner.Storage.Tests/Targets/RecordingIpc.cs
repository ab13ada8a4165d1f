using BladeProvisioner.Storage.Targets.Tgt.Ipc;

namespace BladeProvisioner.Storage.Tests.Targets;

/// <summary>
/// A fake tgtd socket: records each request (as <c>ipc …</c> in the runner's journal, so the order against tgtadm calls
/// shows) and answers an account show with <paramref name="accounts"/>.
/// </summary>
internal sealed class RecordingIpc(RecordingRunner journal, string accounts = "Account list:\n") : ITgtIpc
{
    public List<TgtIpcRequest> Requests { get; } = [];

    public Task<string> SendAsync(TgtIpcRequest request, CancellationToken ct)
    {
        Requests.Add(request);
        journal.Note("ipc " + request.Display());
        return Task.FromResult(request is { Mode: TgtIpcMode.Account, Op: TgtIpcOp.Show } ? accounts : string.Empty);
    }
}
