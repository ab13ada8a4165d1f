using BladeProvisioner.Boot.Scripts;

namespace BladeProvisioner.Boot.Tests.Scripts;

public sealed class BootLinksAndErrorsTests
{
    [Fact]
    public void LinksAreAbsoluteAndEncodeTheirValues()
    {
        var links = new BootLinks(new Uri("https://bp.example.com:8443/prefix/"), 42, "tok_1");

        Assert.Equal("https://bp.example.com:8443/prefix/boot/choose?blade=42&image=7&token=tok_1", links.Choose(7));
        Assert.Equal("https://bp.example.com:8443/prefix/boot/status?blade=42&token=tok_1", links.Status());
        Assert.Equal("https://bp.example.com:8443/prefix/boot/menu?blade=42&error=a%20b%26c%24%7Bx%7D&token=tok_1", links.Menu("a b&c${x}"));
    }

    [Theory]
    [InlineData("ftp://10.99.0.1/")]
    [InlineData("http://10.99.0.1/?x=1")]
    [InlineData("http://10.99.0.1/$x/")]
    public void UnusableBaseIsRefused(string baseUri) => Assert.Throws<ArgumentException>(() => new BootLinks(new Uri(baseUri), 1));

    [Theory]
    [InlineData("has space")]
    [InlineData("a&b")]
    [InlineData("")]
    public void TokenMustBeBase64Url(string token) => Assert.Throws<ArgumentException>(() => new BootLinks(new Uri("http://10.99.0.1/"), 1, token));

    [Theory]
    [InlineData("0x410d613c", "login refused (CHAP credentials or initiator ACL) (iPXE error 410d613c)")]
    [InlineData("0x280a6011", "network unreachable (iPXE error 280a6011)")]
    [InlineData("4c106035", "connection timed out (iPXE error 4c106035)")]
    [InlineData("0x12345678", "iPXE error 12345678")]
    [InlineData("garbage", "unknown error")]
    [InlineData("", "unknown error")]
    [InlineData(null, "unknown error")]
    public void IpxeErrorsInWords(string? errno, string words) => Assert.Equal(words, IpxeErrors.Describe(errno));
}
