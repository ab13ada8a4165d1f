using System.Text.Json;
using BladeProvisioner.Platform.Processes;
using BladeProvisioner.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace BladeProvisioner.Storage.Tests.Cloning.Support;

/// <summary>The real partitioning and filesystem tools the tests check our output against.</summary>
internal static class Tools
{
    public static readonly ProcessRunner Runner = new(NullLogger<ProcessRunner>.Instance);

    public static async Task<ProcessResult> RunAsync(string program, params string[] args) =>
        await RunWithInputAsync(program, null, args);

    public static async Task<ProcessResult> RunWithInputAsync(string program, string? stdin, params string[] args)
    {
        var path = Resolve(program);
        return await Runner.RunAsync(
            new ProcessSpec(path, args) { StandardInput = stdin, Timeout = TimeSpan.FromSeconds(120) },
            TestContext.Current.CancellationToken);
    }

    public static async Task<ProcessResult> TryRunAsync(string program, params string[] args) =>
        await Runner.TryRunAsync(new ProcessSpec(Resolve(program), args), TestContext.Current.CancellationToken);

    public static string Resolve(string program)
    {
        foreach (var dir in new[] { "/usr/sbin", "/usr/bin", "/sbin", "/bin" })
        {
            var path = Path.Combine(dir, program);
            if (File.Exists(path))
            {
                return path;
            }
        }

        Prerequisites.Require(false, $"the program '{program}' (apt: fdisk, gdisk, e2fsprogs, dosfstools, xfsprogs, coreutils)");
        return program;
    }

    /// <summary><c>sfdisk --json</c>, parsed: the "partitiontable" object.</summary>
    public static async Task<JsonElement> SfdiskJsonAsync(string image)
    {
        var result = await RunAsync("sfdisk", "--json", image);
        using var doc = JsonDocument.Parse(result.StandardOutput);
        return doc.RootElement.GetProperty("partitiontable").Clone();
    }

    /// <summary>Allocated 512-byte blocks of a file (stat %b).</summary>
    public static async Task<long> AllocatedBlocksAsync(string path)
    {
        var result = await RunAsync("stat", "-c", "%b", path);
        return long.Parse(result.StandardOutput.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task<string> Sha256SumAsync(string path)
    {
        var result = await RunAsync("sha256sum", path);
        return result.StandardOutput.Split(' ')[0];
    }
}
