namespace BladeProvisioner.Storage.Identity;

/// <summary>
/// A clone's root filesystem as <see cref="OsPersonalizer"/> changes it, whatever tool opens it: ext2/3/4 through
/// e2fsprogs in userspace (<see cref="ExtFilesystem"/>), XFS through libguestfs in its own appliance VM
/// (<see cref="XfsFilesystem"/>). Paths are absolute inside the filesystem; a symlink is never followed.
/// </summary>
internal interface IRootFilesystem : IAsyncDisposable
{
    /// <summary>"ext" or "xfs", for the timeline.</summary>
    string Kind { get; }

    /// <summary>Bytes of the partition the filesystem may grow into.</summary>
    long Length { get; }

    Task<ExtEntry?> StatAsync(string path, CancellationToken ct);

    Task<string?> ReadTextAsync(string path, CancellationToken ct);

    Task<long> SizeAsync(CancellationToken ct);

    Task CheckAsync(CancellationToken ct);

    Task<string?> GrowAsync(CancellationToken ct);

    Task WriteFilesAsync(IReadOnlyList<ExtWrite> writes, CancellationToken ct);
}
