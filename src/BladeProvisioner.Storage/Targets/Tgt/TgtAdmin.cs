using System.Globalization;
using BladeProvisioner.Platform.Processes;
using BladeProvisioner.Storage.Targets.Tgt.Ipc;

namespace BladeProvisioner.Storage.Targets.Tgt;

/// <summary>
/// Builds tgtadm calls: <c>--lld iscsi</c>, the control port, and <c>ip netns exec</c> when tgtd lives in another
/// network namespace. tgt 1.0.85's control socket is the file <c>/var/run/tgtd/socket.&lt;control port&gt;</c> (with a
/// <c>.lock</c> beside it), so it is shared by every namespace: the control port, not the namespace, tells two
/// tgtd apart, and a second tgtd on a port in use exits ("another tgtd is using …").
/// <para>Account operations (the only ones that carry a password) skip tgtadm and talk to that socket directly
/// (<see cref="TgtIpcClient"/>): tgtadm takes a password only as <c>--password</c>, visible in /proc/&lt;pid&gt;/cmdline.</para>
/// </summary>
internal sealed class TgtAdmin(IProcessRunner runner, ITgtIpc ipc, string? networkNamespace, int? controlPort)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    public IProcessRunner Runner => runner;

    /// <summary>Wraps a program in <c>ip netns exec</c> when a namespace is configured; redactions shift along.</summary>
    public ProcessSpec Command(string program, IReadOnlyList<string> args, IReadOnlySet<int>? redact = null)
    {
        if (string.IsNullOrEmpty(networkNamespace))
        {
            return new ProcessSpec(program, args) { RedactArguments = redact, Timeout = CallTimeout };
        }

        var wrapped = new List<string>(args.Count + 4) { "netns", "exec", networkNamespace, program };
        wrapped.AddRange(args);
        return new ProcessSpec("ip", wrapped)
        {
            RedactArguments = redact?.Select(i => i + 4).ToHashSet(),
            Timeout = CallTimeout,
        };
    }

    /// <summary>A tgtadm call. None carries a secret: accounts go over the socket.</summary>
    public ProcessSpec Tgtadm(IReadOnlyList<string> args)
    {
        var all = new List<string>(args.Count + 4);
        if (controlPort is int port)
        {
            all.Add("--control-port");
            all.Add(port.ToString(CultureInfo.InvariantCulture));
        }

        all.Add("--lld");
        all.Add("iscsi");
        all.AddRange(args);
        return Command("tgtadm", all);
    }

    public Task<ProcessResult> RunAsync(CancellationToken ct, params string[] args) => runner.RunAsync(Tgtadm(args), ct);

    public Task<ProcessResult> TryRunAsync(CancellationToken ct, params string[] args) => runner.TryRunAsync(Tgtadm(args), ct);

    public Task<ProcessResult> ShowTargetsAsync(CancellationToken ct) => RunAsync(ct, "--op", "show", "--mode", "target");

    /// <summary>The account list, read over tgtd's socket like every account operation.</summary>
    public Task<string> ShowAccountsAsync(CancellationToken ct) => ipc.SendAsync(new TgtIpcRequest(TgtIpcMode.Account, TgtIpcOp.Show), ct);

    /// <summary>Creates a CHAP account. The password goes over tgtd's socket, never on a command line or into a log.</summary>
    public Task NewAccountAsync(string user, string password, CancellationToken ct) =>
        ipc.SendAsync(TgtIpcRequest.Account(TgtIpcOp.New, user) with { Password = password }, ct);

    public Task BindAccountAsync(int tid, string user, bool outgoing, CancellationToken ct) =>
        ipc.SendAsync(TgtIpcRequest.Account(TgtIpcOp.Bind, user) with { Tid = tid, Outgoing = outgoing }, ct);

    /// <summary>Unbinds an account; one that is not bound (or gone) is not an error. No answer from tgtd is.</summary>
    public Task UnbindAccountAsync(int tid, string user, bool outgoing, CancellationToken ct) =>
        TrySendAsync(TgtIpcRequest.Account(TgtIpcOp.Unbind, user) with { Tid = tid, Outgoing = outgoing }, ct);

    /// <summary>Deletes an account; tgt unbinds it from every target. A missing account is not an error.</summary>
    public Task DeleteAccountAsync(string user, CancellationToken ct) => TrySendAsync(TgtIpcRequest.Account(TgtIpcOp.Delete, user), ct);

    private async Task TrySendAsync(TgtIpcRequest request, CancellationToken ct)
    {
        try
        {
            await ipc.SendAsync(request, ct);
        }
        catch (TgtIpcException ex) when (ex.Error is not null)
        {
            // tgtd answered with a refusal (no such account or binding): the state asked for already holds.
        }
    }

    public static string Tid(int tid) => tid.ToString(CultureInfo.InvariantCulture);

    /// <summary>An initiator ACL entry is a name (iqn./eui./naa.) or, when added by hand, an address.</summary>
    public static string AclOption(string entry) =>
        entry.StartsWith("iqn.", StringComparison.Ordinal) || entry.StartsWith("eui.", StringComparison.Ordinal)
            || entry.StartsWith("naa.", StringComparison.Ordinal)
            ? "--initiator-name"
            : "--initiator-address";
}
