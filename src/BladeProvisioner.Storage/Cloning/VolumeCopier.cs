using System.Diagnostics;
using System.Security.Cryptography;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Platform.Files;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Win32.SafeHandles;

namespace BladeProvisioner.Storage.Cloning;

/// <summary>
/// Creates a volume file from a donor: reflink when the filesystem shares extents (XFS, btrfs), otherwise a
/// sparse-aware copy that checkpoints (fdatasync) so a crashed job resumes from <see cref="CopyProgress.DurableOffset"/>.
/// At most <see cref="CloneOptions.MaxConcurrentClones"/> copies run at once; the rest wait for a slot.
/// </summary>
public sealed partial class VolumeCopier : IDisposable
{
    private readonly CloneOptions _options;
    private readonly ILogger<VolumeCopier> _logger;
    private readonly SemaphoreSlim _slots;

    public VolumeCopier(IOptions<CloneOptions> options, ILogger<VolumeCopier> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
        _slots = new SemaphoreSlim(_options.MaxConcurrentClones, _options.MaxConcurrentClones);
    }

    public VolumeCopier()
        : this(Options.Create(new CloneOptions()), NullLogger<VolumeCopier>.Instance)
    {
    }

    public async Task<CopyResult> CopyAsync(CopyRequest request, IProgress<CopyProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate(request);
        if (!_slots.Wait(0, CancellationToken.None))
        {
            CloneMetrics.Waiting.Add(1);
            await _slots.WaitAsync(ct);
        }

        CloneMetrics.Active.Add(1);
        try
        {
            return await Task.Factory.StartNew(
                () => Copy(request, progress, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        finally
        {
            CloneMetrics.Active.Add(-1);
            _slots.Release();
        }
    }

    public void Dispose() => _slots.Dispose();

    private static void Validate(CopyRequest r)
    {
        ArgumentException.ThrowIfNullOrEmpty(r.Source);
        ArgumentException.ThrowIfNullOrEmpty(r.Destination);
        ArgumentOutOfRangeException.ThrowIfNegative(r.ResumeOffset);
        ArgumentOutOfRangeException.ThrowIfNegative(r.DestinationOffset);
        ArgumentOutOfRangeException.ThrowIfNegative(r.DestinationSize);
        if (r.DestinationOffset % SparseCopy.BlockSize != 0)
        {
            throw new ArgumentException("DestinationOffset must be a multiple of 4 KiB.", nameof(r));
        }

        if (r.BytesPerSecondLimit is <= 0)
        {
            throw new ArgumentException("BytesPerSecondLimit must be positive.", nameof(r));
        }
    }

    private CopyResult Copy(CopyRequest request, IProgress<CopyProgress>? progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var source = File.OpenHandle(request.Source, FileMode.Open, FileAccess.Read, FileShare.Read);
        var size = RandomAccess.GetLength(source);
        if (request.DestinationSize < request.DestinationOffset + size)
        {
            throw DomainException.Invalid(
                ErrorCodes.VolumeTooSmall,
                $"The volume ({request.DestinationSize} bytes) cannot hold the donor ({size} bytes at offset {request.DestinationOffset}).");
        }

        var resume = request.ResumeOffset;
        if (resume > size)
        {
            throw new ArgumentException($"ResumeOffset {resume} lies beyond the {size}-byte source.", nameof(request));
        }

        if (resume > 0 && !CanResume(request, resume))
        {
            LogResumeImpossible(_logger, request.Destination, resume);
            resume = 0;
        }

        LogCopyStarting(_logger, request.Source, request.Destination, size, resume);
        SafeFileHandle? destination = null;
        try
        {
            destination = File.OpenHandle(
                request.Destination, resume > 0 ? FileMode.Open : FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
            if (resume == 0)
            {
                // A new file: its name is made durable before any checkpoint can say the file holds data.
                Durable.FsyncDirectory(Path.GetDirectoryName(Path.GetFullPath(request.Destination))!);
            }

            // Whatever follows the durable point may be torn or stale (zero blocks are skipped, not written): drop it.
            RandomAccess.SetLength(destination, request.DestinationOffset + resume);
            using var hash = request.ComputeSha256 ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
            if (request.AllowReflink && resume == 0 && LinuxFile.TryClone(source, destination, request.DestinationOffset))
            {
                return FinishReflink(request, source, destination, size, hash, progress, clock);
            }

            RandomAccess.SetLength(destination, request.DestinationSize);
            var limit = request.BytesPerSecondLimit ?? _options.DefaultBytesPerSecondLimit;
            var copy = new SparseCopy(source, destination, size, request.DestinationOffset, _options, limit, progress, ct);
            var sha = copy.Run(resume, hash);
            CloneMetrics.BytesWritten.Add(copy.DataBytesWritten);
            CloneMetrics.Completed.Add(1, new("mode", "copy"), new("outcome", "ok"));
            LogCopied(_logger, request.Destination, size, copy.DataBytesWritten, clock.Elapsed.TotalMilliseconds);
            return new CopyResult(false, size, copy.DataBytesWritten, clock.Elapsed, sha);
        }
        catch (Exception ex)
        {
            CloneMetrics.Completed.Add(1, new("mode", "copy"), new("outcome", ex is OperationCanceledException ? "cancelled" : "failed"));
            LogCopyFailed(_logger, request.Destination, ex.GetType().Name, ex.Message);
            if (request.DeleteDestinationOnFailure && destination is not null)
            {
                destination.Dispose();
                TryDelete(request.Destination);
            }

            throw;
        }
        finally
        {
            destination?.Dispose();
        }
    }

    private CopyResult FinishReflink(
        CopyRequest request, SafeFileHandle source, SafeFileHandle destination, long size, IncrementalHash? hash,
        IProgress<CopyProgress>? progress, Stopwatch clock)
    {
        RandomAccess.SetLength(destination, request.DestinationSize);
        LinuxFile.DataSync(destination);
        string? sha = null;
        if (hash is not null)
        {
            SparseRead.HashRange(source, 0, size, hash);
            sha = Convert.ToHexStringLower(hash.GetHashAndReset());
        }

        var elapsed = clock.Elapsed;
        progress?.Report(new CopyProgress(size, size, size, size / Math.Max(elapsed.TotalSeconds, 1e-6)));
        CloneMetrics.Completed.Add(1, new("mode", "reflink"), new("outcome", "ok"));
        LogReflinked(_logger, request.Destination, size, elapsed.TotalMilliseconds);
        return new CopyResult(true, size, 0, elapsed, sha);
    }

    private static bool CanResume(CopyRequest request, long resume)
    {
        var info = new FileInfo(request.Destination);
        return info.Exists && info.Length >= request.DestinationOffset + resume;
    }

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            LogRemovedLeftover(_logger, path);
        }
        catch (IOException ex)
        {
            LogRemoveFailed(_logger, path, ex.Message);
        }
        catch (UnauthorizedAccessException ex)
        {
            LogRemoveFailed(_logger, path, ex.Message);
        }
    }

    [LoggerMessage(EventId = StorageEventIds.CloneCopyStarting, Level = LogLevel.Information, Message = "Copying {Source} to {Destination}: {Size} bytes from offset {ResumeOffset}")]
    private static partial void LogCopyStarting(ILogger logger, string source, string destination, long size, long resumeOffset);

    [LoggerMessage(EventId = StorageEventIds.CloneReflinked, Level = LogLevel.Information, Message = "Reflinked {Destination} ({Size} bytes) in {ElapsedMs:F1} ms")]
    private static partial void LogReflinked(ILogger logger, string destination, long size, double elapsedMs);

    [LoggerMessage(EventId = StorageEventIds.CloneCopied, Level = LogLevel.Information, Message = "Copied {Destination}: {Size} bytes, {Written} data bytes written, {ElapsedMs:F0} ms")]
    private static partial void LogCopied(ILogger logger, string destination, long size, long written, double elapsedMs);

    [LoggerMessage(EventId = StorageEventIds.CloneResumeImpossible, Level = LogLevel.Warning, Message = "Cannot resume {Destination} at {ResumeOffset}: the file is missing or short; copying from the start")]
    private static partial void LogResumeImpossible(ILogger logger, string destination, long resumeOffset);

    [LoggerMessage(EventId = StorageEventIds.CloneCopyFailed, Level = LogLevel.Warning, Message = "Copy to {Destination} ended with {Error}: {Message}")]
    private static partial void LogCopyFailed(ILogger logger, string destination, string error, string message);

    [LoggerMessage(EventId = StorageEventIds.CloneRemovedLeftover, Level = LogLevel.Information, Message = "Removed the leftover volume file {Destination}")]
    private static partial void LogRemovedLeftover(ILogger logger, string destination);

    [LoggerMessage(EventId = StorageEventIds.CloneRemoveFailed, Level = LogLevel.Warning, Message = "Could not remove the leftover volume file {Destination}: {Message}")]
    private static partial void LogRemoveFailed(ILogger logger, string destination, string message);
}
