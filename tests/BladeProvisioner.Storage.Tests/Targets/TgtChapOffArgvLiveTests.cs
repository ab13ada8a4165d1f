using System.Text;
using BladeProvisioner.Core.Security;
using BladeProvisioner.Storage.Tests.Targets.Lab;

namespace BladeProvisioner.Storage.Tests.Targets;

/// <summary>
/// Finding 11: a CHAP secret on a command line is readable by every local user in /proc/&lt;pid&gt;/cmdline. A watcher
/// scans every process's command line while the driver makes, replaces and removes accounts again and again.
/// </summary>
public sealed class TgtChapOffArgvLiveTests(TgtLabFixture fixture) : IClassFixture<TgtLabFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NoChapSecretEverAppearsOnAnyProcessCommandLine()
    {
        var lab = fixture.Require();
        var driver = lab.CreateDriver();

        // Every secret of this run starts with one random tag, so a scan looks for a single byte string.
        var tag = ChapSecret.Generate()[..8].Replace('-', 'x').Replace('_', 'y');
        var (blade, _) = lab.NewBlade(951, mutual: true);
        using var watcher = new CommandLineWatcher(Encoding.ASCII.GetBytes(tag));
        const int Rounds = 40;
        for (int i = 0; i < Rounds; i++)
        {
            var spec = blade with
            {
                ChapSecret = $"{tag}{i:D4}aaaa",
                MutualChapSecret = $"{tag}{i:D4}bbbb",
            };

            // A changed secret is a lock account, a delete and a new account; every fifth round starts from nothing.
            await driver.EnsureTargetAsync(spec, Ct);
            if (i % 5 == 4)
            {
                await driver.RemoveTargetAsync(spec.TargetIqn, Ct);
            }
        }

        var (scans, hits) = watcher.Stop();
        Assert.True(scans > Rounds, $"the watcher scanned /proc only {scans} times");
        Assert.True(hits.Count == 0, "secrets on command lines:\n" + string.Join('\n', hits));
    }

    /// <summary>Scans /proc/*/cmdline on its own thread, as fast as it can, until stopped.</summary>
    private sealed class CommandLineWatcher : IDisposable
    {
        private readonly byte[] _needle;
        private readonly Thread _thread;
        private readonly List<string> _hits = [];
        private volatile bool _stop;
        private int _scans;

        public CommandLineWatcher(byte[] needle)
        {
            _needle = needle;
            _thread = new Thread(Run) { IsBackground = true, Name = "cmdline watcher" };
            _thread.Start();
        }

        public (int Scans, List<string> Hits) Stop()
        {
            _stop = true;
            _thread.Join();
            return (_scans, _hits);
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
        }

        private void Run()
        {
            var buffer = new byte[64 * 1024];
            while (!_stop)
            {
                foreach (var dir in Directory.EnumerateDirectories("/proc"))
                {
                    var name = Path.GetFileName(dir);
                    if (name.Length == 0 || !char.IsAsciiDigit(name[0]))
                    {
                        continue;
                    }

                    int n;
                    try
                    {
                        using var f = new FileStream(Path.Combine(dir, "cmdline"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
                        n = f.Read(buffer);
                    }
                    catch (IOException)
                    {
                        continue; // the process ended meanwhile
                    }
                    catch (UnauthorizedAccessException)
                    {
                        continue;
                    }

                    if (buffer.AsSpan(0, n).IndexOf(_needle) >= 0)
                    {
                        _hits.Add($"pid {name}: {Encoding.UTF8.GetString(buffer, 0, n).Replace('\0', ' ')}");
                    }
                }

                _scans++;
            }
        }
    }
}
