using System.Diagnostics;

namespace BladeProvisioner.Testing;

/// <summary>
/// The real donor images of images/: each method runs the repository's build script, which prints the cached image's
/// path (a cache hit takes under a second; <c>./bp test</c> builds the Debian donors before any test project runs).
/// The images are shared: tests read them and never write to them.
/// </summary>
public static class TestDonors
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(30);

    /// <summary>The repository root: the first directory above the test binaries that holds <c>bp</c> and the solution.</summary>
    public static string Repository { get; } = FindRepository();

    /// <summary>The busybox test donor (images/build-test-donor.sh): MBR, FAT boot partition with a gzip initramfs, ext4 root.</summary>
    public static Task<string> BusyboxAsync(CancellationToken ct) => RunAsync("build-test-donor.sh", [], ct);

    /// <summary>A Debian donor (images/build-debian-donor.sh): <c>debian-12</c> or <c>debian-12-dracut</c>.</summary>
    public static Task<string> DebianAsync(string variant, CancellationToken ct) => RunAsync("build-debian-donor.sh", ["--variant", variant], ct);

    private static async Task<string> RunAsync(string script, string[] arguments, CancellationToken ct)
    {
        var path = Path.Combine(Repository, "images", script);
        Prerequisites.RequireProgram(path);
        var info = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {path}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ScriptTimeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var image = (await stdout).Trim();
        if (process.ExitCode != 0 || !File.Exists(image))
        {
            throw new InvalidOperationException($"{script} {string.Join(' ', arguments)} failed (exit {process.ExitCode}, printed '{image}'): {await stderr}");
        }

        return image;
    }

    private static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "bp")) && File.Exists(Path.Combine(dir.FullName, "BladeProvisioner.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Could not find the repository root (bp, BladeProvisioner.sln) above " + AppContext.BaseDirectory);
    }
}
