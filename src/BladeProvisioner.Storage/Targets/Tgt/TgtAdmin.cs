using System.Globalization;
using BladeProvisioner.Platform.Processes;

namespace BladeProvisioner.Storage.Targets.Tgt;

/// <summary>
/// Builds tgtadm calls: <c>--lld iscsi</c>, the control port, and <c>ip netns exec</c> when tgtd lives in another
/// network namespace. tgt 1.0.85's control socket is the file <c>/var/run/tgtd/socket.&lt;control port&gt;</c> (with a
/// <c>.lock</c> beside it), so it is shared by every namespace: the control port, not the namespace, tells two
/// tgtd apart, and a second tgtd on a port in use exits ("another tgtd is using …").
/// </summary>
internal sealed class TgtAdmin(IProcessRunner runner, string? networkNamespace, int? controlPort)
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

    /// <summary>A tgtadm call; <paramref name="secretIndex"/> marks the argument that holds a password.</summary>
    public ProcessSpec Tgtadm(IReadOnlyList<string> args, int? secretIndex = null)
    {
        var all = new List<string>(args.Count + 4);
        if (controlPort is int port)
        {
            all.Add("--control-port");
            all.Add(port.ToString(CultureInfo.InvariantCulture));
        }

        all.Add("--lld");
        all.Add("iscsi");
        int shift = all.Count;
        all.AddRange(args);
        return Command("tgtadm", all, secretIndex is int i ? new HashSet<int> { i + shift } : null);
    }

    public Task<ProcessResult> RunAsync(CancellationToken ct, params string[] args) => runner.RunAsync(Tgtadm(args), ct);

    public Task<ProcessResult> TryRunAsync(CancellationToken ct, params string[] args) => runner.TryRunAsync(Tgtadm(args), ct);

    public Task<ProcessResult> ShowTargetsAsync(CancellationToken ct) => RunAsync(ct, "--op", "show", "--mode", "target");

    public Task<ProcessResult> ShowAccountsAsync(CancellationToken ct) => RunAsync(ct, "--op", "show", "--mode", "account");

    /// <summary>Creates a CHAP account. The password never reaches a log: its argument is redacted.</summary>
    public Task<ProcessResult> NewAccountAsync(string user, string password, CancellationToken ct) =>
        runner.RunAsync(Tgtadm(["--op", "new", "--mode", "account", "--user", user, "--password", password], secretIndex: 7), ct);

    public Task<ProcessResult> BindAccountAsync(int tid, string user, bool outgoing, CancellationToken ct) =>
        RunAsync(ct, outgoing
            ? ["--op", "bind", "--mode", "account", "--tid", Tid(tid), "--user", user, "--outgoing"]
            : ["--op", "bind", "--mode", "account", "--tid", Tid(tid), "--user", user]);

    public Task<ProcessResult> UnbindAccountAsync(int tid, string user, bool outgoing, CancellationToken ct) =>
        TryRunAsync(ct, outgoing
            ? ["--op", "unbind", "--mode", "account", "--tid", Tid(tid), "--user", user, "--outgoing"]
            : ["--op", "unbind", "--mode", "account", "--tid", Tid(tid), "--user", user]);

    /// <summary>Deletes an account; tgt unbinds it from every target. Missing accounts are not an error.</summary>
    public Task<ProcessResult> DeleteAccountAsync(string user, CancellationToken ct) =>
        TryRunAsync(ct, "--op", "delete", "--mode", "account", "--user", user);

    public static string Tid(int tid) => tid.ToString(CultureInfo.InvariantCulture);

    /// <summary>An initiator ACL entry is a name (iqn./eui./naa.) or, when added by hand, an address.</summary>
    public static string AclOption(string entry) =>
        entry.StartsWith("iqn.", StringComparison.Ordinal) || entry.StartsWith("eui.", StringComparison.Ordinal)
            || entry.StartsWith("naa.", StringComparison.Ordinal)
            ? "--initiator-name"
            : "--initiator-address";
}
