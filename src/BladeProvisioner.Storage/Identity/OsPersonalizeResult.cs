namespace BladeProvisioner.Storage.Identity;

/// <summary>What personalising a clone's OS did, for the blade's timeline.</summary>
/// <param name="RootPartition">The partition number of the root filesystem found; null when none was.</param>
/// <param name="RootFilesystem">"ext" for an ext2/3/4 root.</param>
/// <param name="Skipped">Why nothing was changed inside the OS (no Linux root, an XFS root), or null.</param>
/// <param name="MachineId">The machine-id written.</param>
/// <param name="Hostname">The hostname written.</param>
/// <param name="DonorHostname">The donor's /etc/hostname, if it had one.</param>
/// <param name="SshHostKeys">New host key fingerprints, "ED25519 SHA256:…".</param>
/// <param name="InitiatorNameWritten">Whether /etc/iscsi/initiatorname.iscsi now names the blade's IQN.</param>
/// <param name="RootBytesBefore">Size of the root filesystem as copied.</param>
/// <param name="RootBytesAfter">Size of the root filesystem after growing it into its partition.</param>
public sealed record OsPersonalizeResult(
    int? RootPartition,
    string? RootFilesystem,
    string? Skipped,
    string? MachineId,
    string? Hostname,
    string? DonorHostname,
    IReadOnlyList<string> SshHostKeys,
    bool InitiatorNameWritten,
    long RootBytesBefore,
    long RootBytesAfter)
{
    /// <summary>Why the root filesystem was not grown into a larger partition, or null.</summary>
    public string? NotGrown { get; init; }

    public static OsPersonalizeResult Nothing(string why, int? partition = null, string? filesystem = null) =>
        new(partition, filesystem, why, null, null, null, [], false, 0, 0);

    /// <summary>"hostname blade-3, machine-id 6f…, SSH host keys ED25519 SHA256:…, initiator name, root ext4 grown 1.0 GiB → 4.0 GiB".</summary>
    public string Summary()
    {
        if (Skipped is not null)
        {
            return $"OS left as the donor made it: {Skipped}";
        }

        var parts = new List<string> { $"hostname {Hostname}", $"machine-id {MachineId}" };
        if (SshHostKeys.Count > 0)
        {
            parts.Add($"new SSH host keys {string.Join(", ", SshHostKeys)}");
        }

        if (InitiatorNameWritten)
        {
            parts.Add("iSCSI initiator name");
        }

        parts.Add(RootBytesAfter > RootBytesBefore
            ? $"root {RootFilesystem} on partition {RootPartition} grown {Capacity.FilesystemCapacity.Bytes(RootBytesBefore)} → {Capacity.FilesystemCapacity.Bytes(RootBytesAfter)}"
            : $"root {RootFilesystem} on partition {RootPartition} {Capacity.FilesystemCapacity.Bytes(RootBytesAfter)}"
                + (NotGrown is null ? string.Empty : $" (not grown: {NotGrown})"));
        return string.Join(", ", parts);
    }
}
