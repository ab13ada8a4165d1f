using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace BladeProvisioner.Storage.Cloning;

/// <summary>
/// The copy path when reflink is not possible: walks the source's data extents with SEEK_DATA/SEEK_HOLE, reads them
/// in large chunk-aligned pieces, and writes only the 4 KiB blocks that are not all zero, so time follows the data
/// and holes stay holes. Synchronous, on the copier's own thread; checkpoint fdatasyncs run beside it. (A two-thread
/// read-ahead pipeline was measured too: on these 2-core machines it cost more CPU and was slower under load.)
/// </summary>
internal sealed class SparseCopy(
    SafeFileHandle source,
    SafeFileHandle destination,
    long sourceSize,
    long destinationOffset,
    CloneOptions options,
    long? bytesPerSecondLimit,
    IProgress<CopyProgress>? progress,
    CancellationToken cancellationToken)
{
    internal const int BlockSize = 4096;

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _resumeOffset;
    private long _dataRead;
    private long _durable;
    private long _lastCheckpointAt;
    private TimeSpan _lastCheckpointTime;
    private Task<long>? _flush;

    public long DataBytesWritten { get; private set; }

    /// <summary>Copies from <paramref name="resumeOffset"/> to the end; returns the SHA-256 when <paramref name="hash"/> is given.</summary>
    public string? Run(long resumeOffset, IncrementalHash? hash)
    {
        _resumeOffset = resumeOffset;
        _durable = resumeOffset;
        _lastCheckpointAt = resumeOffset;
        LinuxFile.Advise(source, resumeOffset, 0, LinuxFile.AdviceSequential);
        if (hash is not null && resumeOffset > 0)
        {
            // The prefix was copied by an earlier run: hash it from the source, the donor the hash vouches for (holes
            // skipped cheaply). Not from the destination: its block 0 may already be personalised.
            SparseRead.HashRange(source, 0, resumeOffset, hash);
        }

        var chunk = ChunkSize();
        var buffer = ArrayPool<byte>.Shared.Rent(chunk);
        try
        {
            var pos = resumeOffset;
            while (pos < sourceSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var data = LinuxFile.NextData(source, pos, sourceSize);
                if (data > pos)
                {
                    SparseRead.HashZeros(hash, data - pos);
                    pos = data;
                    MaybeCheckpoint(pos);
                    continue;
                }

                var hole = LinuxFile.NextHole(source, pos, sourceSize);
                while (pos < hole)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var end = Math.Min(hole, ((pos / chunk) + 1) * chunk);
                    var span = buffer.AsSpan(0, (int)(end - pos));
                    SparseRead.ReadExactly(source, span, pos);
                    hash?.AppendData(span);
                    WriteNonZeroBlocks(span, destinationOffset + pos);
                    _dataRead += span.Length;
                    pos = end;
                    Throttle();
                    MaybeCheckpoint(pos);
                }
            }

            Checkpoint(sourceSize);
            return hash is null ? null : Convert.ToHexStringLower(hash.GetHashAndReset());
        }
        finally
        {
            // A failed or cancelled copy still waits for its background flush before the caller closes the file.
            try
            {
                _flush?.Wait(CancellationToken.None);
            }
            catch (AggregateException)
            {
                // The copy is failing anyway; its own exception is the one that matters.
            }

            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private int ChunkSize()
    {
        var chunk = options.ChunkBytes;
        if (bytesPerSecondLimit is { } limit)
        {
            // Smaller pieces under a cap keep the pacing smooth (about 8 per second).
            chunk = (int)Math.Clamp(limit / 8 / BlockSize * BlockSize, 64 * 1024, chunk);
        }

        return chunk / BlockSize * BlockSize;
    }

    // Coalesces runs of non-zero 4 KiB blocks into single writes; zero blocks stay unallocated in the destination.
    private void WriteNonZeroBlocks(ReadOnlySpan<byte> data, long offset)
    {
        var runStart = -1;
        for (var i = 0; i < data.Length; i += BlockSize)
        {
            var block = data.Slice(i, Math.Min(BlockSize, data.Length - i));
            var zero = !block.ContainsAnyExcept((byte)0);
            if (!zero && runStart < 0)
            {
                runStart = i;
            }
            else if (zero && runStart >= 0)
            {
                Write(data[runStart..i], offset + runStart);
                runStart = -1;
            }
        }

        if (runStart >= 0)
        {
            Write(data[runStart..], offset + runStart);
        }
    }

    private void Write(ReadOnlySpan<byte> run, long offset)
    {
        RandomAccess.Write(destination, run, offset);
        LinuxFile.StartWriteback(destination, offset, run.Length);
        DataBytesWritten += run.Length;
    }

    private void Throttle()
    {
        if (bytesPerSecondLimit is not { } limit || limit <= 0)
        {
            return;
        }

        var due = TimeSpan.FromSeconds((double)_dataRead / limit);
        var wait = due - _clock.Elapsed;
        if (wait > TimeSpan.Zero && cancellationToken.WaitHandle.WaitOne(wait))
        {
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    // A checkpoint's fdatasync runs beside the copy: the loop never waits for the disk except at the very end.
    private void MaybeCheckpoint(long pos)
    {
        if (_flush is { IsCompleted: true } done)
        {
            _flush = null;
            Durable(done.GetAwaiter().GetResult());
        }

        if (_flush is null
            && (pos - _lastCheckpointAt >= options.CheckpointBytes || _clock.Elapsed - _lastCheckpointTime >= TimeSpan.FromSeconds(1)))
        {
            _lastCheckpointAt = pos;
            _lastCheckpointTime = _clock.Elapsed;
            _flush = Task.Run(() =>
            {
                LinuxFile.DataSync(destination);
                return pos;
            });
        }
    }

    private void Checkpoint(long pos)
    {
        if (_flush is { } pending)
        {
            _flush = null;
            pending.GetAwaiter().GetResult();
        }

        LinuxFile.DataSync(destination);
        Durable(pos);
    }

    private void Durable(long pos)
    {
        if (options.DropWrittenPagesFromCache && pos > _durable)
        {
            LinuxFile.Advise(destination, destinationOffset + _durable, pos - _durable, LinuxFile.AdviceDontNeed);
        }

        _durable = pos;
        var seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-6);
        progress?.Report(new CopyProgress(pos, sourceSize, pos, (pos - _resumeOffset) / seconds));
    }
}
