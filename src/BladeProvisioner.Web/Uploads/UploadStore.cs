using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using BladeProvisioner.Platform.Files;
using BladeProvisioner.Storage;
using BladeProvisioner.Storage.Images;

namespace BladeProvisioner.Web.Uploads;

/// <summary>
/// Resumable uploads: each one is a file <c>&lt;import root&gt;/.uploads/&lt;id&gt;.part</c> that grows by appends at
/// the current offset, plus a <c>.json</c> with what the admin declared. The body is streamed to the file through a
/// 1 MiB pooled buffer and hashed on the way (never held in memory). The SHA-256 state lives in memory per upload; after
/// an appliance restart (or any doubt) it is rebuilt by re-reading the prefix already on disk.
/// </summary>
internal sealed class UploadStore(ImageStore images)
{
    private const int BufferSize = 1 << 20;
    private readonly ConcurrentDictionary<string, UploadState> _open = new(StringComparer.Ordinal);

    /// <summary>Inside the first import root, so the finished file is importable by path.</summary>
    public string Directory => Path.Combine(images.ImportRoots[0], ".uploads");

    public async Task<UploadInfo> CreateAsync(UploadInfo declared, CancellationToken ct)
    {
        // Uploads in progress are donors too: only the appliance's account may read them.
        PrivateDirectory.Ensure(Directory);
        var info = declared with { Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)) };
        await File.WriteAllTextAsync(MetaPath(info.Id), JsonSerializer.Serialize(info), ct);
        await using (File.Create(PartPath(info.Id)))
        {
        }

        return info;
    }

    public async Task<UploadInfo?> FindAsync(string id, CancellationToken ct) =>
        IsWellFormed(id) && File.Exists(MetaPath(id)) ? JsonSerializer.Deserialize<UploadInfo>(await File.ReadAllTextAsync(MetaPath(id), ct)) : null;

    /// <summary>The bytes received so far, once any append in progress has settled.</summary>
    public async Task<long> OffsetAsync(string id, CancellationToken ct)
    {
        var state = _open.GetOrAdd(id, _ => new UploadState());
        await state.Gate.WaitAsync(ct);
        try
        {
            return new FileInfo(PartPath(id)).Length;
        }
        finally
        {
            state.Gate.Release();
        }
    }

    /// <summary>Appends <paramref name="body"/> at <paramref name="offset"/>; returns the new offset, or null when the offset is not the current one.</summary>
    public async Task<AppendResult> AppendAsync(UploadInfo info, long offset, Stream body, CancellationToken ct)
    {
        var state = _open.GetOrAdd(info.Id, _ => new UploadState());
        await state.Gate.WaitAsync(ct);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            await using var file = new FileStream(PartPath(info.Id), FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.Asynchronous);
            if (file.Length != offset)
            {
                return new AppendResult(false, file.Length);
            }

            await EnsureHashAtAsync(state, file, buffer, ct);
            file.Position = offset;
            try
            {
                int n;
                while ((n = await body.ReadAsync(buffer.AsMemory(0, BufferSize), ct)) > 0)
                {
                    if (file.Position + n > info.Length)
                    {
                        return new AppendResult(false, file.Position, TooLong: true);
                    }

                    await file.WriteAsync(buffer.AsMemory(0, n), ct);
                    state.Hash!.AppendData(buffer, 0, n);
                    state.HashedBytes += n;
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or Microsoft.AspNetCore.Http.BadHttpRequestException)
            {
                // The connection dropped: keep what arrived; the client resumes from the offset HEAD reports.
                await file.FlushAsync(CancellationToken.None);
                return new AppendResult(true, file.Position, Interrupted: true);
            }

            await file.FlushAsync(ct);
            return new AppendResult(true, file.Position);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            state.Gate.Release();
        }
    }

    /// <summary>SHA-256 of the whole upload (lower-case hex); the upload must be complete.</summary>
    public async Task<string> FinishHashAsync(string id, CancellationToken ct)
    {
        var state = _open.GetOrAdd(id, _ => new UploadState());
        await state.Gate.WaitAsync(ct);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            await using var file = new FileStream(PartPath(id), FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous);
            await EnsureHashAtAsync(state, file, buffer, ct);
            return Convert.ToHexStringLower(state.Hash!.GetCurrentHash());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            state.Gate.Release();
        }
    }

    /// <summary>Moves the finished upload to a plain file name the import reads; forgets the upload.</summary>
    public string Seal(string id)
    {
        var final = Path.Combine(Directory, id + ".img");
        Durable.Rename(PartPath(id), final);
        File.Delete(MetaPath(id));
        Forget(id);
        return final;
    }

    public void Delete(string id)
    {
        File.Delete(PartPath(id));
        File.Delete(MetaPath(id));
        Forget(id);
    }

    private void Forget(string id)
    {
        if (_open.TryRemove(id, out var state))
        {
            state.Hash?.Dispose();
        }
    }

    /// <summary>Brings the running hash to the file's length, re-reading the prefix if the state was lost.</summary>
    private static async Task EnsureHashAtAsync(UploadState state, FileStream file, byte[] buffer, CancellationToken ct)
    {
        if (state.Hash is not null && state.HashedBytes == file.Length)
        {
            return;
        }

        state.Hash?.Dispose();
        state.Hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        state.HashedBytes = 0;
        file.Position = 0;
        int n;
        while (state.HashedBytes < file.Length && (n = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(BufferSize, file.Length - state.HashedBytes)), ct)) > 0)
        {
            state.Hash.AppendData(buffer, 0, n);
            state.HashedBytes += n;
        }
    }

    private static bool IsWellFormed(string id) => id.Length == 24 && id.All(char.IsAsciiHexDigitLower);

    private string PartPath(string id) => Path.Combine(Directory, id + ".part");

    private string MetaPath(string id) => Path.Combine(Directory, id + ".json");

    private sealed class UploadState
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public IncrementalHash? Hash { get; set; }
        public long HashedBytes { get; set; }
    }
}

internal sealed record AppendResult(bool Accepted, long Offset, bool Interrupted = false, bool TooLong = false);
