using BladeProvisioner.Tftp.Files;

namespace BladeProvisioner.Tftp.Tests.Files;

public sealed class PathSafetyTests
{
    [Theory]
    [InlineData("../etc/passwd", nameof(TftpPathVerdict.ParentSegment))]
    [InlineData("boot/../../etc/passwd", nameof(TftpPathVerdict.ParentSegment))]
    [InlineData("boot/..", nameof(TftpPathVerdict.ParentSegment))]
    [InlineData("/etc/passwd", nameof(TftpPathVerdict.Absolute))]
    [InlineData("/ipxe.efi", nameof(TftpPathVerdict.Absolute))]
    [InlineData("..\\windows\\system.ini", nameof(TftpPathVerdict.ContainsBackslash))]
    [InlineData("boot\\ipxe.efi", nameof(TftpPathVerdict.ContainsBackslash))]
    [InlineData("ipxe.efi\0../../etc/shadow", nameof(TftpPathVerdict.ContainsNul))]
    public void TraversalNamesAreRefused(string name, string expected)
    {
        Assert.Equal(Enum.Parse<TftpPathVerdict>(expected), TftpPathPolicy.Check(name, 255));
    }

    [Fact]
    public void NamesOverTheLengthLimitAreRefused()
    {
        Assert.Equal(TftpPathVerdict.TooLong, TftpPathPolicy.Check(new string('a', 256), 255));
        Assert.Equal(TftpPathVerdict.Ok, TftpPathPolicy.Check(new string('a', 255), 255));
    }

    [Theory]
    [InlineData("ipxe.efi")]
    [InlineData("boot/x86_64/undionly.kpxe")]
    [InlineData("..ipxe")]
    [InlineData("ipxe..efi")]
    [InlineData("./ipxe.efi")]
    public void OrdinaryRelativeNamesPass(string name)
    {
        Assert.Equal(TftpPathVerdict.Ok, TftpPathPolicy.Check(name, 255));
    }
}
