namespace BladeProvisioner.Storage.Tests.Targets.Lab;

/// <summary>
/// Live target tests need root, network namespaces, tgt, libiscsi-bin and qemu-block-extra. Under CI (CI=true) a
/// missing prerequisite fails the test with the reason; elsewhere the test is skipped with it.
/// </summary>
internal static class LabPrerequisites
{
    private static readonly string[] Programs = ["ip", "tgtd", "tgtadm", "iscsi-inq", "iscsi-ls", "iscsi-perf", "qemu-img"];

    public static string? Missing()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "live target tests need Linux";
        }

        if (!string.Equals(Environment.UserName, "root", StringComparison.Ordinal))
        {
            return "live target tests need root (network namespaces, tgtd)";
        }

        foreach (var p in Programs)
        {
            if (!OnPath(p))
            {
                return $"'{p}' is not installed (apt: tgt, libiscsi-bin, qemu-utils, qemu-block-extra, iproute2)";
            }
        }

        if (!File.Exists("/usr/lib/x86_64-linux-gnu/qemu/block-iscsi.so") && !Directory.EnumerateFiles("/usr/lib", "block-iscsi.so", SearchOption.AllDirectories).Any())
        {
            return "qemu-img has no iscsi driver (apt: qemu-block-extra)";
        }

        return null;
    }

    /// <summary>Fails under CI, skips elsewhere.</summary>
    public static void Require()
    {
        var missing = Missing();
        if (missing is null)
        {
            return;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail($"Prerequisite missing under CI: {missing}.");
        }

        Assert.Skip($"Prerequisite missing: {missing}.");
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin")
            .Split(':')
            .Concat(["/usr/sbin", "/sbin"])
            .Any(dir => File.Exists(Path.Combine(dir, program)));
}
