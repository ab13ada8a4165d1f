using BladeProvisioner.Boot.Scripts;
using BladeProvisioner.Core.Errors;

namespace BladeProvisioner.Boot.Tests.Scripts;

/// <summary>RFC 4173 §5: iscsi:&lt;servername&gt;:&lt;protocol&gt;:&lt;port&gt;:&lt;LUN&gt;:&lt;targetname&gt;.</summary>
public sealed class IscsiRootPathTests
{
    private const string Target = "iqn.2026-11.com.example.bp:blade.17";

    [Theory]
    [InlineData("10.99.0.1", 1, 3260, "iscsi:10.99.0.1:::1:" + Target)]
    [InlineData("10.99.0.1", 0, 3260, "iscsi:10.99.0.1:::0:" + Target)]
    [InlineData("10.99.0.1", 10, 3260, "iscsi:10.99.0.1:::a:" + Target)]
    [InlineData("10.99.0.1", 255, 3261, "iscsi:10.99.0.1::3261:ff:" + Target)]
    [InlineData("fd99::1", 1, 3260, "iscsi:[fd99::1]:::1:" + Target)]
    [InlineData("[fd99::1]", 1, 860, "iscsi:[fd99::1]::860:1:" + Target)]
    [InlineData("Storage-1.Lab.Example", 1, 3260, "iscsi:storage-1.lab.example:::1:" + Target)]
    public void FormatsTheBootUri(string server, int lun, int port, string expected) =>
        Assert.Equal(expected, IscsiRootPath.Format(server, Target, lun, port));

    [Fact]
    public void DefaultsAreLun1AndPort3260() => Assert.Equal("iscsi:10.99.0.1:::1:" + Target, IscsiRootPath.Format("10.99.0.1", Target));

    [Theory]
    [InlineData("10.99.0.1", -1, 3260)]
    [InlineData("10.99.0.1", 256, 3260)]
    [InlineData("10.99.0.1", 1, 0)]
    [InlineData("10.99.0.1", 1, 70000)]
    [InlineData("bad host", 1, 3260)]
    [InlineData("host:3260", 1, 3260)]
    [InlineData("", 1, 3260)]
    public void RefusesWhatIsNotAPortal(string server, int lun, int port) =>
        Assert.ThrowsAny<ArgumentException>(() => IscsiRootPath.Format(server, Target, lun, port));

    [Theory]
    [InlineData("iqn.2026-11.com.example.bp:Blade.17")]
    [InlineData("iqn.26-11.com.example.bp:blade.17")]
    [InlineData("blade.17")]
    public void RefusesAnInvalidTargetName(string target)
    {
        var ex = Assert.Throws<DomainException>(() => IscsiRootPath.Format("10.99.0.1", target));
        Assert.Equal(ErrorCodes.InvalidIqn, ex.Code);
    }
}
