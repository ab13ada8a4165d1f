namespace BladeProvisioner.Platform.Processes;

/// <summary>Runs external programs (tgtadm, qemu-img, ipmitool, sfdisk, pg_ctl). Fakes implement this in unit tests.</summary>
public interface IProcessRunner
{
    /// <summary>Runs to completion; throws <see cref="ProcessFailedException"/> on a non-accepted exit code or timeout.</summary>
    Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken = default);

    /// <summary>Runs to completion and returns the result whatever the exit code; throws only on timeout.</summary>
    Task<ProcessResult> TryRunAsync(ProcessSpec spec, CancellationToken cancellationToken = default);
}
