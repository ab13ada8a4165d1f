using System.Text;
using BladeProvisioner.Tftp.Protocol;
using BladeProvisioner.Tftp.Tests.Support;

namespace BladeProvisioner.Tftp.Tests.Protocol;

public sealed class TftpRequestParserTests
{
    private static byte[] Bytes(string s) => Encoding.Latin1.GetBytes(s);

    [Fact]
    public void ReadRequestWithOptionsParsesNameModeAndOptionsInOrder()
    {
        var packet = TestTftpClient.Request("ipxe.efi", "OCTET", ("BlkSize", "1468"), ("tsize", "0"), ("windowsize", "16"));

        var status = TftpRequestParser.Parse(packet, out var request);

        Assert.Equal(TftpParseStatus.Ok, status);
        Assert.Equal(TftpOpcode.ReadRequest, request!.Opcode);
        Assert.Equal("ipxe.efi", request.FileName);
        Assert.Equal(TftpMode.Octet, request.Mode);
        Assert.Equal(["blksize", "tsize", "windowsize"], request.Options.Select(o => o.Name));
        Assert.Equal(["1468", "0", "16"], request.Options.Select(o => o.Value));
    }

    [Theory]
    [InlineData("netascii", nameof(TftpMode.NetAscii))]
    [InlineData("NetAscii", nameof(TftpMode.NetAscii))]
    [InlineData("octet", nameof(TftpMode.Octet))]
    [InlineData("mail", nameof(TftpMode.Mail))]
    public void ModesAreCaseInsensitive(string mode, string expected)
    {
        Assert.Equal(TftpParseStatus.Ok, TftpRequestParser.Parse(TestTftpClient.Request("f", mode), out var request));
        Assert.Equal(Enum.Parse<TftpMode>(expected), request!.Mode);
    }

    [Theory]
    [InlineData("", nameof(TftpParseStatus.TooShort))]
    [InlineData("\0", nameof(TftpParseStatus.TooShort))]
    [InlineData("\0\u0009x\0octet\0", nameof(TftpParseStatus.UnknownOpcode))]
    [InlineData("\0\0x\0octet\0", nameof(TftpParseStatus.UnknownOpcode))]
    [InlineData("\0\u0003\0\u0001data", nameof(TftpParseStatus.NotARequest))]
    [InlineData("\0\u0004\0\u0001", nameof(TftpParseStatus.NotARequest))]
    [InlineData("\0\u0005\0\u0001oops\0", nameof(TftpParseStatus.NotARequest))]
    [InlineData("\0\u0001", nameof(TftpParseStatus.FileNameNotTerminated))]
    [InlineData("\0\u0001ipxe.efi", nameof(TftpParseStatus.FileNameNotTerminated))]
    [InlineData("\0\u0001\0octet\0", nameof(TftpParseStatus.EmptyFileName))]
    [InlineData("\0\u0001ipxe.efi\0", nameof(TftpParseStatus.ModeNotTerminated))]
    [InlineData("\0\u0001ipxe.efi\0oct", nameof(TftpParseStatus.ModeNotTerminated))]
    [InlineData("\0\u0001ipxe.efi\0binary\0", nameof(TftpParseStatus.UnknownMode))]
    [InlineData("\0\u0001ipxe.efi\0../x\0octet\0", nameof(TftpParseStatus.FileNameHasEmbeddedNul))]
    [InlineData("\0\u0001ipx\u0001e\0octet\0", nameof(TftpParseStatus.FileNameHasInvalidCharacter))]
    [InlineData("\0\u0001ipx\u00ffe\0octet\0", nameof(TftpParseStatus.FileNameHasInvalidCharacter))]
    [InlineData("\0\u0001ipxe.efi\0octet\0blksize", nameof(TftpParseStatus.OptionNameNotTerminated))]
    [InlineData("\0\u0001ipxe.efi\0octet\0blksize\0", nameof(TftpParseStatus.OptionValueNotTerminated))]
    [InlineData("\0\u0001ipxe.efi\0octet\0blksize\01468", nameof(TftpParseStatus.OptionValueNotTerminated))]
    [InlineData("\0\u0001ipxe.efi\0octet\0\0x\0", nameof(TftpParseStatus.EmptyOptionName))]
    [InlineData("\0\u0001ipxe.efi\0octet\0blksize\0512\0BLKSIZE\01468\0", nameof(TftpParseStatus.DuplicateOption))]
    [InlineData("\0\u0001ipxe.efi\0octet\0blk\u0002size\0512\0", nameof(TftpParseStatus.OptionHasInvalidCharacter))]
    public void MalformedRequestsReturnAStatusInsteadOfThrowing(string packet, string expected)
    {
        Assert.Equal(Enum.Parse<TftpParseStatus>(expected), TftpRequestParser.Parse(Bytes(packet), out var request));
        Assert.Null(request);
    }

    [Fact]
    public void TrailingNulPaddingAfterOptionsIsAccepted()
    {
        var packet = TestTftpClient.Request("f", "octet", ("tsize", "0")).Concat(new byte[8]).ToArray();

        Assert.Equal(TftpParseStatus.Ok, TftpRequestParser.Parse(packet, out var request));
        Assert.Single(request!.Options);
    }

    [Fact]
    public void MoreThanTheOptionLimitIsRefused()
    {
        var options = Enumerable.Range(0, TftpRequestParser.MaxOptions + 1).Select(i => ($"x{i}", "1")).ToArray();

        Assert.Equal(TftpParseStatus.TooManyOptions, TftpRequestParser.Parse(TestTftpClient.Request("f", "octet", options), out _));
    }

    public static TheoryData<int> TruncationLengths()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Full.Length; i++)
        {
            data.Add(i);
        }

        return data;
    }

    private static readonly byte[] Full = TestTftpClient.Request("boot/ipxe.efi", "octet", ("blksize", "1468"), ("tsize", "0"));

    /// <summary>One row per truncation point of a full request: each is either a shorter valid request or a named failure.</summary>
    [Theory]
    [MemberData(nameof(TruncationLengths))]
    public void EveryTruncationOfARequestIsRejectedOrIsAShorterValidRequest(int length)
    {
        var status = TftpRequestParser.Parse(Full.AsSpan(0, length), out var request);

        // Only cuts right after the mode or a complete option (name and value) leave a valid, shorter request.
        var validCuts = new[] { 22, 35 };
        if (validCuts.Contains(length))
        {
            Assert.Equal(TftpParseStatus.Ok, status);
            Assert.Equal("boot/ipxe.efi", request!.FileName);
        }
        else
        {
            Assert.NotEqual(TftpParseStatus.Ok, status);
            Assert.Null(request);
        }
    }

    [Theory]
    [InlineData("0", true, 0L)]
    [InlineData("65464", true, 65464L)]
    [InlineData("", false, 0L)]
    [InlineData("-1", false, 0L)]
    [InlineData("+5", false, 0L)]
    [InlineData(" 5", false, 0L)]
    [InlineData("1e3", false, 0L)]
    [InlineData("99999999999", false, 0L)]
    public void NumbersAreStrictDecimal(string text, bool ok, long expected)
    {
        Assert.Equal(ok, TftpRequestParser.TryParseNumber(text, long.MaxValue, out var value));
        if (ok)
        {
            Assert.Equal(expected, value);
        }
    }
}
