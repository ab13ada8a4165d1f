using System.Diagnostics;
using System.Runtime.InteropServices;
using static BladeProvisioner.Testing.LibIscsi;

namespace BladeProvisioner.Appliance.Tests.DataPlane;

/// <summary>
/// A running blade's initiator: one libiscsi session (logged in with the blade's IQN, incoming and mutual CHAP) that
/// writes 4 KiB every <c>interval</c> on a thread of its own and records each write's latency and any failure.
/// Automatic reconnect is off unless asked for, so a dropped session is a failed write, never a silent new login. With
/// reconnect on, it behaves as an OS initiator inside its replacement timeout: a write in flight when the connection
/// drops is queued, sent again after a new login with the same IQN and CHAP, and a unit attention that follows is
/// retried (as the kernel's SCSI layer does), so only a write that finally fails counts as a failure.
/// </summary>
internal sealed class BladeWriter : IDisposable
{
    private readonly IntPtr _context;
    private readonly Thread _thread;
    private readonly TimeSpan _interval;
    private readonly List<double> _latenciesMs = [];
    private readonly List<string> _failures = [];
    private volatile bool _stop;
    private long _written;
    private bool _stopped;
    private bool _disposed;

    private BladeWriter(IntPtr context, TimeSpan interval)
    {
        _context = context;
        _interval = interval;
        _thread = new Thread(Run) { IsBackground = true, Name = "blade-writer" };
    }

    public static BladeWriter Start(
        string portal, string targetIqn, string initiatorIqn, string user, string secret, string mutualUser, string mutualSecret, TimeSpan interval, bool reconnect = false)
    {
        var context = iscsi_create_context(initiatorIqn);
        if (context == IntPtr.Zero)
        {
            throw new InvalidOperationException("iscsi_create_context failed");
        }

        iscsi_set_targetname(context, targetIqn);
        iscsi_set_session_type(context, 2); // ISCSI_SESSION_NORMAL
        iscsi_set_header_digest(context, 0); // ISCSI_HEADER_DIGEST_NONE
        iscsi_set_noautoreconnect(context, reconnect ? 0 : 1);
        if (reconnect)
        {
            iscsi_set_reconnect_max_retries(context, -1);
            iscsi_set_no_ua_on_reconnect(context, 1);
        }

        iscsi_set_initiator_username_pwd(context, user, secret);
        iscsi_set_target_username_pwd(context, mutualUser, mutualSecret);
        if (iscsi_full_connect_sync(context, portal, 1) != 0)
        {
            var error = Marshal.PtrToStringUTF8(iscsi_get_error(context));
            iscsi_destroy_context(context);
            throw new InvalidOperationException($"login to {targetIqn} failed: {error}");
        }

        var writer = new BladeWriter(context, interval);
        writer._thread.Start();
        return writer;
    }

    public int Writes { get { lock (_latenciesMs) { return _latenciesMs.Count; } } }

    public IReadOnlyList<string> Failures { get { lock (_latenciesMs) { return [.. _failures]; } } }

    /// <summary>The longest time between one write's start and its completion (a stall the blade would feel).</summary>
    public double LongestMs { get { lock (_latenciesMs) { return _latenciesMs.Count == 0 ? 0 : _latenciesMs.Max(); } } }

    /// <summary>Waits until <paramref name="count"/> more writes completed (proof the blade's I/O goes on).</summary>
    public async Task WaitForMoreWritesAsync(int count, TimeSpan timeout)
    {
        var target = Writes + count;
        var deadline = DateTime.UtcNow + timeout;
        while (Writes < target && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(Writes >= target, $"only {Writes} of {target} writes completed; failures: {string.Join("; ", Failures)}");
    }

    private void Run()
    {
        var block = new byte[4096];
        for (long i = 0; !_stop; i++)
        {
            block.AsSpan().Fill((byte)i);
            var sw = Stopwatch.StartNew();
            var task = iscsi_write10_sync(_context, 1, Lba(i), block, (uint)block.Length, 512, 0, 0, 0, 0, 0);
            sw.Stop();
            lock (_latenciesMs)
            {
                _latenciesMs.Add(sw.Elapsed.TotalMilliseconds);
                if (task == IntPtr.Zero)
                {
                    _failures.Add($"write {i}: {Marshal.PtrToStringUTF8(iscsi_get_error(_context))}");
                }
                else if (Marshal.ReadInt32(task) != 0)
                {
                    // struct scsi_task begins with int status: SCSI_STATUS_GOOD is 0.
                    _failures.Add($"write {i}: SCSI status {Marshal.ReadInt32(task)}");
                }
            }

            if (task != IntPtr.Zero)
            {
                scsi_free_scsi_task(task);
            }

            _written = i + 1;
            Thread.Sleep(_interval);
        }
    }

    /// <summary>
    /// Stops writing and reads the blocks of the last 256 writes from the LUN's backing file: each must hold what was
    /// written last to it (what the blade wrote before a fault is on its disk after it). Returns the mismatches.
    /// </summary>
    public IReadOnlyList<string> StopAndVerify(string backingFile)
    {
        Stop();
        var mismatches = new List<string>();
        using var file = File.OpenHandle(backingFile);
        var block = new byte[4096];
        for (long i = Math.Max(0, _written - 256); i < _written; i++)
        {
            var offset = Lba(i) * 512L;
            if (RandomAccess.Read(file, block, offset) != block.Length || block.Any(b => b != (byte)i))
            {
                mismatches.Add($"write {i} (byte {offset}) is not on the disk");
            }
        }

        return mismatches;
    }

    private static uint Lba(long write) => (uint)(2048 + (write % 256 * 8));

    private void Stop()
    {
        if (!_stopped)
        {
            _stopped = true;
            _stop = true;
            _thread.Join(TimeSpan.FromSeconds(60));
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Stop();
        iscsi_logout_sync(_context);
        iscsi_destroy_context(_context);
    }
}
