using System.Diagnostics;
using BladeProvisioner.Storage.Targets;

namespace BladeProvisioner.Storage.Tests.Targets.Lab;

/// <summary>Real iSCSI initiators (libiscsi's iscsi-inq/iscsi-perf, qemu-img's iscsi driver) in the initiator namespace.</summary>
public sealed class Initiator(TgtLab lab)
{
    /// <summary>What an initiator presents when logging in.</summary>
    public sealed record Credentials(string InitiatorIqn, string? User, string? Secret, string? MutualUser = null, string? MutualSecret = null)
    {
        public static Credentials Of(TargetSpec spec) =>
            new(spec.InitiatorIqn, spec.ChapUser, spec.ChapSecret, spec.MutualChapUser, spec.MutualChapSecret);
    }

    /// <summary>INQUIRY (optionally a VPD page) over a full login; exit code 0 means the login was admitted.</summary>
    public Task<LabProcess.Result> InquireAsync(string targetIqn, int lun, Credentials who, int? vpdPage = null)
    {
        var args = new List<string> { "netns", "exec", lab.InitiatorNamespace, "iscsi-inq", "-i", who.InitiatorIqn };
        if (vpdPage is int page)
        {
            args.AddRange(["-e", "1", "-c", page.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        args.Add(Url(targetIqn, lun, who));
        return LabProcess.RunAsync("ip", args, MutualEnv(who));
    }

    /// <summary>Reads the whole LUN through qemu-img's iscsi driver; throws with qemu-img's message when refused.</summary>
    public async Task<byte[]> ReadLunAsync(string targetIqn, int lun, Credentials who)
    {
        var output = Path.Combine(lab.Directory, $"read-{Guid.NewGuid():N}.raw");
        var opts = $"driver=iscsi,transport=tcp,portal={lab.PortalAddress}:3260,target={targetIqn},lun={lun},initiator-name={who.InitiatorIqn}";
        if (who.User is not null)
        {
            opts += $",user={who.User},password={who.Secret}";
        }

        var r = await LabProcess.RunAsync("ip", ["netns", "exec", lab.InitiatorNamespace, "qemu-img", "convert", "-O", "raw", "--image-opts", opts, output]);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"qemu-img could not read {targetIqn}: {r.Stderr}");
        }

        var bytes = await File.ReadAllBytesAsync(output);
        File.Delete(output);
        return bytes;
    }

    /// <summary>Keeps a session open (iscsi-perf reading) until disposed.</summary>
    public HeldSession Hold(string targetIqn, int lun, Credentials who)
    {
        var psi = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "netns", "exec", lab.InitiatorNamespace, "iscsi-perf", "-i", who.InitiatorIqn, "-m", "1", Url(targetIqn, lun, who) })
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start iscsi-perf");
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return new HeldSession(p);
    }

    private string Url(string targetIqn, int lun, Credentials who) =>
        who.User is null
            ? $"iscsi://{lab.PortalAddress}/{targetIqn}/{lun}"
            : $"iscsi://{who.User}%{who.Secret}@{lab.PortalAddress}/{targetIqn}/{lun}";

    private static Dictionary<string, string>? MutualEnv(Credentials who) =>
        who.MutualUser is null
            ? null
            : new() { ["LIBISCSI_CHAP_TARGET_USERNAME"] = who.MutualUser, ["LIBISCSI_CHAP_TARGET_PASSWORD"] = who.MutualSecret ?? string.Empty };

    public sealed class HeldSession(Process process) : IDisposable
    {
        public bool HasExited => process.HasExited;

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }

            process.Dispose();
        }
    }
}
