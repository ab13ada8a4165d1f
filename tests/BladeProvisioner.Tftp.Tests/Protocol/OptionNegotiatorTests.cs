using BladeProvisioner.Tftp.Protocol;

namespace BladeProvisioner.Tftp.Tests.Protocol;

public sealed class OptionNegotiatorTests
{
    private static NegotiatedOptions? Negotiate(out string? error, params (string Name, string Value)[] options) =>
        OptionNegotiator.Negotiate([.. options.Select(o => new TftpOption(o.Name, o.Value))], 1468, 64, () => 12345, out error);

    [Fact]
    public void NoOptionsMeansRfc1350DefaultsAndNoOptionAck()
    {
        var result = Negotiate(out _);

        Assert.Equal(512, result!.BlockSize);
        Assert.Equal(1, result.WindowSize);
        Assert.Empty(result.Acknowledged);
    }

    [Fact]
    public void UnknownOptionsAreIgnoredAndNeverAcknowledged()
    {
        var result = Negotiate(out _, ("multicast", ""), ("rollover", "0"));

        Assert.Empty(result!.Acknowledged);
    }

    [Fact]
    public void AcknowledgesOnlyRequestedOptionsInRequestOrder()
    {
        var result = Negotiate(out _, ("tsize", "0"), ("blksize", "1024"), ("timeout", "3"), ("windowsize", "8"));

        Assert.Equal([("tsize", "12345"), ("blksize", "1024"), ("timeout", "3"), ("windowsize", "8")], result!.Acknowledged.Select(o => (o.Name, o.Value)));
        Assert.Equal(TimeSpan.FromSeconds(3), result.Timeout);
        Assert.Equal(12345, result.TransferSize);
    }

    [Theory]
    [InlineData("8", 8)]
    [InlineData("1468", 1468)]
    [InlineData("1500", 1468)]
    [InlineData("65464", 1468)]
    [InlineData("70000", 1468)]
    public void BlockSizeIsCappedAtTheConfiguredMaximum(string asked, int granted)
    {
        Assert.Equal(granted, Negotiate(out _, ("blksize", asked))!.BlockSize);
    }

    [Fact]
    public void WindowSizeIsCappedAtTheConfiguredMaximum()
    {
        Assert.Equal(64, Negotiate(out _, ("windowsize", "65535"))!.WindowSize);
    }

    [Theory]
    [InlineData("blksize", "7")]
    [InlineData("blksize", "0")]
    [InlineData("blksize", "abc")]
    [InlineData("blksize", "")]
    [InlineData("windowsize", "0")]
    [InlineData("windowsize", "65536")]
    [InlineData("timeout", "0")]
    [InlineData("timeout", "256")]
    public void OutOfRangeValuesOfKnownOptionsFailNegotiation(string name, string value)
    {
        Assert.Null(Negotiate(out var error, (name, value)));
        Assert.Contains(name, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("enable")]
    [InlineData("")]
    public void TsizeInAReadRequestIsAnsweredWithTheSizeWhateverItsValue(string value)
    {
        Assert.Equal([("tsize", "12345")], Negotiate(out _, ("tsize", value))!.Acknowledged.Select(o => (o.Name, o.Value)));
    }

    [Theory]
    [InlineData("255")]
    [InlineData("6")]
    public void TimeoutAboveTheCapIsNotAcknowledgedSoTheServerDefaultApplies(string asked)
    {
        var result = OptionNegotiator.Negotiate([new TftpOption("timeout", asked), new TftpOption("blksize", "1024")], 1468, 64, () => 1, out _, timeoutCapSeconds: 5);

        Assert.Null(result!.Timeout);
        Assert.Equal([("blksize", "1024")], result.Acknowledged.Select(o => (o.Name, o.Value)));
    }

    [Fact]
    public void TimeoutAtTheCapIsAcknowledgedAsSent()
    {
        var result = OptionNegotiator.Negotiate([new TftpOption("timeout", "5")], 1468, 64, () => 1, out _, timeoutCapSeconds: 5);

        Assert.Equal(TimeSpan.FromSeconds(5), result!.Timeout);
        Assert.Equal([("timeout", "5")], result.Acknowledged.Select(o => (o.Name, o.Value)));
    }
}
