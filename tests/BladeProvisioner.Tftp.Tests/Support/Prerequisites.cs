using BladeProvisioner.Platform.Net;

namespace BladeProvisioner.Tftp.Tests.Support;

/// <summary>Missing root or tools: a failure under CI (CI=true), an explicit skip on a developer machine. Never a silent pass.</summary>
internal static class Prerequisites
{
    private static bool UnderCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static void RequireRoot(string why)
    {
        if (!SocketBinding.CanBindToDevice())
        {
            Missing($"needs root ({why})");
        }
    }

    public static string RequireTool(string name, string package)
    {
        foreach (var dir in new[] { "/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin" })
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        Missing($"needs '{name}' (apt-get install {package})");
        return name;
    }

    public static void Missing(string what)
    {
        if (UnderCi)
        {
            Assert.Fail($"Prerequisite missing under CI: {what}");
        }

        Assert.Skip($"Prerequisite missing: {what}");
    }
}
