using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace BladeProvisioner.Boot.Tests.Scripts;

/// <summary>
/// Runs a script in real iPXE — Debian's ipxe.lkrn (1.0.0+git-20190125), the same build as the blades' — inside a
/// QEMU guest with no network card at all (<c>-nodefaults</c>): nothing leaves the machine. SeaBIOS mirrors the text
/// screen to the serial port (<c>etc/sercon-port</c>), which is read as the console transcript. Every network command
/// fails as it would on an unplugged blade, which is exactly how the failure paths get exercised.
/// </summary>
internal static partial class IpxeVm
{
    private const string Lkrn = "/usr/lib/ipxe/ipxe.lkrn";
    private const string Qemu = "qemu-system-x86_64";

    /// <summary>Runs until the console shows <paramref name="until"/>, the guest resets (<c>reboot</c>), or the timeout.</summary>
    public static async Task<Transcript> RunAsync(string script, string until, TimeSpan timeout, CancellationToken cancellationToken)
    {
        RequirePrerequisites();
        var dir = Path.Combine(Path.GetTempPath(), "bppwr-ipxe-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        try
        {
            var scriptPath = Path.Combine(dir, "script.ipxe");
            await File.WriteAllTextAsync(scriptPath, script, cancellationToken);
            var sercon = Path.Combine(dir, "sercon-port");
            await File.WriteAllBytesAsync(sercon, [0xf8, 0x03], cancellationToken); // COM1, 0x3f8, little-endian

            var psi = new ProcessStartInfo(Qemu)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[]
            {
                "-accel", "tcg", "-nodefaults", "-m", "128", "-display", "none", "-vga", "std", "-monitor", "none",
                "-serial", "stdio", "-no-reboot", "-kernel", Lkrn, "-initrd", scriptPath,
                "-fw_cfg", $"name=etc/sercon-port,file={sercon}",
            })
            {
                psi.ArgumentList.Add(a);
            }

            using var process = Process.Start(psi) ?? throw new InvalidOperationException("QEMU did not start");
            _ = process.StandardError.ReadToEndAsync(cancellationToken);
            var raw = new StringBuilder();
            var buffer = new char[4096];
            var eof = false;
            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var reader = Task.Run(
                async () =>
                {
                    int n;
                    while ((n = await process.StandardOutput.ReadAsync(buffer, cancellationToken)) > 0)
                    {
                        lock (raw)
                        {
                            raw.Append(buffer, 0, n);
                            if (Flat(Clean(raw.ToString())).Contains(until, StringComparison.Ordinal))
                            {
                                seen.TrySetResult();
                            }
                        }
                    }

                    eof = true;
                    seen.TrySetResult();
                },
                cancellationToken);

            var finished = await Task.WhenAny(seen.Task, Task.Delay(timeout, cancellationToken));
            if (Volatile.Read(ref eof))
            {
                // The guest went away by itself: with -no-reboot, that is what iPXE's reboot does.
                await process.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
            }

            var reset = process.HasExited;
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync(CancellationToken.None);
            await reader.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
            string text;
            lock (raw)
            {
                text = Clean(raw.ToString());
            }

            return new Transcript(text, TimedOut: finished != seen.Task, GuestReset: reset);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void RequirePrerequisites()
    {
        var missing = new List<string>();
        if (!File.Exists(Lkrn))
        {
            missing.Add($"{Lkrn} (Debian package ipxe)");
        }

        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':').Any(d => File.Exists(Path.Combine(d, Qemu)));
        if (!onPath)
        {
            missing.Add($"{Qemu} (Debian package qemu-system-x86)");
        }

        if (missing.Count == 0)
        {
            return;
        }

        var message = "Real-iPXE script tests need " + string.Join(" and ", missing) + ".";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(message);
        }

        Assert.Skip(message);
    }

    /// <summary>The console is 80 columns wide and wraps long lines: match against the text without line breaks.</summary>
    internal static string Flat(string text) => text.Replace("\n", string.Empty, StringComparison.Ordinal);

    /// <summary>Console text without ANSI escapes and carriage returns.</summary>
    private static string Clean(string raw) => Ansi().Replace(raw, string.Empty).Replace("\r", string.Empty, StringComparison.Ordinal);

    [GeneratedRegex(@"\x1b(\[[0-9;?]*[A-Za-z]|c)")]
    private static partial Regex Ansi();

    internal sealed record Transcript(string Text, bool TimedOut, bool GuestReset)
    {
        /// <summary>The console from the first line the script printed (after iPXE's banner).</summary>
        /// <summary><see cref="Script"/> without the console's line wraps, for Contains checks.</summary>
        public string Flat => IpxeVm.Flat(Script);

        public string Script => Text[(Text.IndexOf("Features:", StringComparison.Ordinal) is var i and >= 0 ? Text.IndexOf('\n', i) + 1 : 0)..];
    }
}
