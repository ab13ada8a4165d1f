using System.Buffers.Binary;
using System.Text;
using BladeProvisioner.Storage.Targets.Tgt.Ipc;

namespace BladeProvisioner.Storage.Tests.Targets;

/// <summary>tgtd's management wire format (tgt 1.0.85 usr/tgtadm.h, usr/mgmt.c) on a little-endian host.</summary>
public sealed class TgtIpcWireTests
{
    private static byte[] Encode(TgtIpcRequest request)
    {
        int length = TgtIpcWire.EncodedLength(request, "iscsi");
        Assert.True(length > 0);
        var bytes = new byte[length];
        Assert.True(TgtIpcWire.TryWriteRequest(request, "iscsi", bytes, out int written));
        Assert.Equal(length, written);
        return bytes;
    }

    [Fact]
    public void AccountNewIsTheHeaderThenUserThenPasswordAndANul()
    {
        var bytes = Encode(TgtIpcRequest.Account(TgtIpcOp.New, "bp-blade-1") with { Password = "Abcdefgh23456789" });
        const string Body = "user=bp-blade-1,password=Abcdefgh23456789\0";
        Assert.Equal(120 + Body.Length, bytes.Length);
        Assert.Equal(7, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(0))); // MODE_ACCOUNT
        Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4))); // OP_NEW
        Assert.Equal("iscsi\0", Encoding.ASCII.GetString(bytes, 8, 6));
        Assert.All(bytes[14..72], b => Assert.Equal(0, b));
        Assert.Equal((uint)bytes.Length, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(72)));
        Assert.Equal(-1, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(76))); // no tid, as tgtadm
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(80)));
        Assert.Equal(ulong.MaxValue, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(88))); // no lun, as tgtadm
        Assert.All(bytes[96..120], b => Assert.Equal(0, b));
        Assert.Equal(Body, Encoding.ASCII.GetString(bytes, 120, Body.Length));
    }

    [Fact]
    public void OutgoingBindCarriesTidAndAccountDirection()
    {
        var bytes = Encode(TgtIpcRequest.Account(TgtIpcOp.Bind, "bp-target-1") with { Tid = 3, Outgoing = true });
        Assert.Equal(3, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4))); // OP_BIND
        Assert.Equal(3, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(76)));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(108))); // ACCOUNT_TYPE_OUTGOING
        Assert.Equal("user=bp-target-1\0", Encoding.ASCII.GetString(bytes, 120, bytes.Length - 120));
    }

    [Fact]
    public void AShowHasNoBodyAtAll()
    {
        var bytes = Encode(new TgtIpcRequest(TgtIpcMode.Account, TgtIpcOp.Show));
        Assert.Equal(120, bytes.Length);
        Assert.Equal(2, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4)));
    }

    private static readonly Dictionary<string, TgtIpcRequest> Unencodable = new()
    {
        ["comma in a user cuts tgtd's user=…,password= split"] = TgtIpcRequest.Account(TgtIpcOp.New, "a,b") with { Password = "Abcdefgh23456789" },
        ["NUL in a password ends the body early"] = TgtIpcRequest.Account(TgtIpcOp.New, "a") with { Password = "Abcd\0efgh" },
        ["empty password"] = TgtIpcRequest.Account(TgtIpcOp.New, "a") with { Password = string.Empty },
        ["password without a user"] = new TgtIpcRequest(TgtIpcMode.Account, TgtIpcOp.New) { Password = "Abcdefgh23456789" },
        ["key with '='"] = new TgtIpcRequest(TgtIpcMode.Account, TgtIpcOp.New) { Parameters = [new("us=er", "a")] },
        ["body above tgtd's 8 KiB"] = TgtIpcRequest.Account(TgtIpcOp.Delete, new string('u', 8200)),
    };

    public static TheoryData<string> UnencodableCases => [.. Unencodable.Keys];

    [Theory]
    [MemberData(nameof(UnencodableCases))]
    public void ARequestTgtdWouldMisreadIsNotEncoded(string why)
    {
        var request = Unencodable[why];
        Assert.True(TgtIpcWire.EncodedLength(request, "iscsi") < 0, why);
        Assert.False(TgtIpcWire.TryWriteRequest(request, "iscsi", new byte[16 * 1024], out _), why);
    }

    [Fact]
    public void ADestinationTooSmallIsRefused() =>
        Assert.False(TgtIpcWire.TryWriteRequest(TgtIpcRequest.Account(TgtIpcOp.Delete, "a"), "iscsi", new byte[120], out _));

    [Fact]
    public void TheTextFormNeverShowsThePassword()
    {
        var request = TgtIpcRequest.Account(TgtIpcOp.New, "bp-blade-1") with { Password = "Abcdefgh23456789" };
        Assert.Equal("account new user=bp-blade-1 password=***", request.Display());
        Assert.DoesNotContain("Abcdefgh23456789", request.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "Truncated", TgtIpcError.UnknownError, 0)]
    [InlineData("00000000", "Truncated", TgtIpcError.UnknownError, 0)]
    [InlineData("00000000080000", "Truncated", TgtIpcError.UnknownError, 0)]
    [InlineData("0000000007000000", "BadLength", TgtIpcError.UnknownError, 0)]
    [InlineData("0000000000000000", "BadLength", TgtIpcError.UnknownError, 0)]
    [InlineData("00000000FFFFFFFF", "BadLength", TgtIpcError.UnknownError, 0)]
    [InlineData("0000000008000000", "Ok", TgtIpcError.Success, 0)]
    [InlineData("0000000020000000", "Ok", TgtIpcError.Success, 24)]
    [InlineData("0E00000008000000", "Ok", TgtIpcError.UserExists, 0)]
    [InlineData("0F00000008000000", "Ok", TgtIpcError.NoUser, 0)]
    [InlineData("1400000008000000", "Ok", TgtIpcError.LunActive, 0)]
    [InlineData("FF00000008000000", "Ok", TgtIpcError.UnknownError, 0)]
    public void ResponseHeaders(string hex, string status, TgtIpcError error, int body)
    {
        Assert.Equal(Enum.Parse<TgtIpcResponseStatus>(status), TgtIpcWire.TryReadResponseHeader(Convert.FromHexString(hex), out var e, out int n));
        Assert.Equal(error, e);
        Assert.Equal(body, n);
    }

    [Theory]
    [InlineData("Account list:\n    a\n\0", "Account list:\n    a\n")]
    [InlineData("no terminator", "no terminator")]
    [InlineData("\0", "")]
    [InlineData("cut\0garbage", "cut")]
    public void ResponseTextEndsAtItsNul(string wire, string text) =>
        Assert.Equal(text, TgtIpcWire.DecodeBody(Encoding.UTF8.GetBytes(wire)));
}
