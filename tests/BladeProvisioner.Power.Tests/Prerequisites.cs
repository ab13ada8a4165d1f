namespace BladeProvisioner.Power.Tests;

/// <summary>Tools the real tests need. Missing under CI (CI=true) is a failure; elsewhere the test is skipped, loudly.</summary>
internal static class Prerequisites
{
    public static void RequireTools(string packages, params string[] tools)
    {
        var missing = tools.Where(t => FindOnPath(t) is null).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        var message = $"Missing {string.Join(", ", missing)}: install the Debian packages {packages}.";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(message);
        }

        Assert.Skip(message);
    }

    public static string? FindOnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, tool))
            .FirstOrDefault(File.Exists);
}
