namespace BladeProvisioner.Testing;

/// <summary>
/// Tests that need a real component (tgtd, QEMU, a namespace) say so here. A missing prerequisite fails the test with
/// a message naming what is missing; it never turns into a silent pass. Outside CI a developer may opt into skipping
/// with BP_ALLOW_SKIP=1; under CI (CI=true) that is ignored.
/// </summary>
public static class Prerequisites
{
    public static bool UnderCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static void Require(bool condition, string what)
    {
        if (condition)
        {
            return;
        }

        var message = $"Missing prerequisite: {what}. Install it with './bp test' (it installs everything the tests need).";
        if (!UnderCi && Environment.GetEnvironmentVariable("BP_ALLOW_SKIP") == "1")
        {
            Assert.Skip(message);
        }

        Assert.Fail(message);
    }

    public static void RequireRoot(string why) => Require(Environment.UserName == "root", $"root privileges ({why})");

    public static void RequireProgram(string path) => Require(File.Exists(path), path);
}
