namespace BladeProvisioner.Power.Tests;

public sealed class BmcEndpointTests
{
    [Theory]
    [InlineData("10.99.1.5", "10.99.1.5", null, null, null)]
    [InlineData("10.99.1.5:6230", "10.99.1.5", 6230, null, null)]
    [InlineData("bmc-17.lab.example", "bmc-17.lab.example", null, null, null)]
    [InlineData(" bmc-17:623 ", "bmc-17", 623, null, null)]
    [InlineData("[fd99::5]:623", "fd99::5", 623, null, null)]
    [InlineData("[fd99::5]", "fd99::5", null, null, null)]
    [InlineData("fd99::5", "fd99::5", null, null, null)]
    [InlineData("https://bmc-17:8443", "bmc-17", 8443, "https", null)]
    [InlineData("https://bmc-17/redfish/v1/Systems/2/", "bmc-17", null, "https", "/redfish/v1/Systems/2")]
    [InlineData("https://[fd99::5]:8443", "fd99::5", 8443, "https", null)]
    public void ParsesTheFormsOperatorsWrite(string text, string host, int? port, string? scheme, string? path)
    {
        Assert.True(BmcEndpoint.TryParse(text, out var endpoint, out var problem), problem);
        Assert.Equal(new BmcEndpoint(host, port, scheme, path), endpoint);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("bmc:0")]
    [InlineData("bmc:65536")]
    [InlineData("bmc:http")]
    [InlineData(":623")]
    [InlineData("[fd99::5")]
    [InlineData("[not-v6]:623")]
    [InlineData("[fd99::5]623")]
    [InlineData("bmc 17")]
    [InlineData("bmc/17")]
    [InlineData("ftp://bmc")]
    [InlineData("a:b:c")]
    public void RefusesWhatIsNotAnAddress(string? text)
    {
        Assert.False(BmcEndpoint.TryParse(text, out _, out var problem));
        Assert.False(string.IsNullOrEmpty(problem));
    }
}
