using BladeProvisioner.Dhcp.Protocol;
using BladeProvisioner.Dhcp.Tests.Support;

namespace BladeProvisioner.Dhcp.Tests.Protocol;

public sealed class DhcpParserTests
{
    private static byte[] ValidDiscover(bool pad = false) =>
        PacketBuilder.Of(DhcpMessageType.Discover)
            .With(DhcpOptionCode.ClientIdentifier, 1, 0x52, 0x54, 0, 0x12, 0x34, 0x56)
            .With(DhcpOptionCode.ParameterRequestList, 1, 3, 6, 15, 66, 67)
            .Pxe(7)
            .With(DhcpOptionCode.ClientMachineId, [0, .. Enumerable.Range(1, 16).Select(i => (byte)i)])
            .Build(pad: pad);

    [Fact]
    public void ValidDiscoverParses()
    {
        var status = DhcpParser.TryParse(ValidDiscover(pad: true), out var message);
        Assert.Equal(DhcpParseStatus.Ok, status);
        Assert.Equal(DhcpMessageType.Discover, message!.MessageType);
        Assert.Equal(0x12345678u, message.TransactionId);
        Assert.Equal((ushort)7, message.GetUInt16Option(DhcpOptionCode.ClientArchitecture));
    }

    public static TheoryData<int> TruncationPoints() => [.. Enumerable.Range(0, ValidDiscover().Length)];

    [Theory]
    [MemberData(nameof(TruncationPoints))]
    public void EveryTruncationIsRejected(int length)
    {
        var status = DhcpParser.TryParse(ValidDiscover().AsSpan(0, length), out var message);
        Assert.NotEqual(DhcpParseStatus.Ok, status);
        Assert.Null(message);
        var expected = length < DhcpParser.OptionsOffset
            ? [DhcpParseStatus.Truncated]
            : new[] { DhcpParseStatus.OptionPastEnd, DhcpParseStatus.MissingEnd };
        Assert.Contains(status, expected);
    }

    public static TheoryData<string, byte[], string> BadPackets()
    {
        var data = new TheoryData<string, byte[], string>();
        void Add(string name, byte[] packet, DhcpParseStatus status) => data.Add(name, packet, status.ToString());
        byte[] Mutate(Action<byte[]> change)
        {
            var p = PacketBuilder.Of(DhcpMessageType.Discover).Build();
            change(p);
            return p;
        }

        Add("op is BOOTREPLY", Mutate(p => p[0] = 2), DhcpParseStatus.NotBootRequest);
        Add("op is 0", Mutate(p => p[0] = 0), DhcpParseStatus.NotBootRequest);
        Add("htype is token ring", Mutate(p => p[1] = 6), DhcpParseStatus.UnsupportedHardwareType);
        Add("hlen is 16", Mutate(p => p[2] = 16), DhcpParseStatus.BadHardwareLength);
        Add("hlen is 0", Mutate(p => p[2] = 0), DhcpParseStatus.BadHardwareLength);
        Add("magic cookie wrong", Mutate(p => p[239] = 0x64), DhcpParseStatus.BadMagicCookie);
        Add("option length past end", [.. PacketBuilder.Of(DhcpMessageType.Discover).Build(end: false, pad: false), 12, 200, 65, 66], DhcpParseStatus.OptionPastEnd);
        Add("option code without length byte", [.. PacketBuilder.Of(DhcpMessageType.Discover).Build(end: false, pad: false), 12], DhcpParseStatus.OptionPastEnd);
        Add("zero-length host name", PacketBuilder.Of(DhcpMessageType.Discover).With(DhcpOptionCode.HostName, []).Build(), DhcpParseStatus.ZeroLengthOption);
        Add("message type of length 2", new PacketBuilder().With(DhcpOptionCode.MessageType, 1, 1).Build(), DhcpParseStatus.BadOptionLength);
        Add("requested address of 5 bytes", PacketBuilder.Of(DhcpMessageType.Request).With(DhcpOptionCode.RequestedAddress, 10, 99, 20, 5, 1).Build(), DhcpParseStatus.BadOptionLength);
        Add("server id of 3 bytes", PacketBuilder.Of(DhcpMessageType.Request).With(DhcpOptionCode.ServerIdentifier, 10, 99, 20).Build(), DhcpParseStatus.BadOptionLength);
        Add("lease time of 2 bytes", PacketBuilder.Of(DhcpMessageType.Request).With(DhcpOptionCode.LeaseTime, 1, 2).Build(), DhcpParseStatus.BadOptionLength);
        Add("max message size of 3 bytes", PacketBuilder.Of(DhcpMessageType.Discover).With(DhcpOptionCode.MaxMessageSize, 5, 220, 0).Build(), DhcpParseStatus.BadOptionLength);
        Add("client identifier of 1 byte", PacketBuilder.Of(DhcpMessageType.Discover).With(DhcpOptionCode.ClientIdentifier, 1).Build(), DhcpParseStatus.BadOptionLength);
        Add("architecture of odd length", PacketBuilder.Of(DhcpMessageType.Discover).With(DhcpOptionCode.ClientArchitecture, 0, 7, 0).Build(), DhcpParseStatus.BadOptionLength);
        Add("interface id of 2 bytes", PacketBuilder.Of(DhcpMessageType.Discover).With(DhcpOptionCode.ClientNetworkInterface, 1, 2).Build(), DhcpParseStatus.BadOptionLength);
        Add("machine id of 16 bytes", PacketBuilder.Of(DhcpMessageType.Discover).With(DhcpOptionCode.ClientMachineId, new byte[16]).Build(), DhcpParseStatus.BadOptionLength);
        Add("machine id of type 1", PacketBuilder.Of(DhcpMessageType.Discover).With(DhcpOptionCode.ClientMachineId, [1, .. new byte[16]]).Build(), DhcpParseStatus.BadOptionLength);
        Add("relay sub-option past end", PacketBuilder.Of(DhcpMessageType.Discover).With(DhcpOptionCode.RelayAgentInformation, 1, 9, 65).Build(), DhcpParseStatus.BadOptionLength);
        Add("relay empty sub-option", PacketBuilder.Of(DhcpMessageType.Discover).With(DhcpOptionCode.RelayAgentInformation, 1, 0).Build(), DhcpParseStatus.BadOptionLength);
        Add("overload of 2 bytes", PacketBuilder.Of(DhcpMessageType.Discover).With(DhcpOptionCode.Overload, 1, 1).Build(), DhcpParseStatus.BadOverload);
        Add("overload value 4", PacketBuilder.Of(DhcpMessageType.Discover).With(DhcpOptionCode.Overload, 4).Build(), DhcpParseStatus.BadOverload);
        Add("overload twice", PacketBuilder.Of(DhcpMessageType.Discover).With(DhcpOptionCode.Overload, 1).With(DhcpOptionCode.Overload, 2).Build(), DhcpParseStatus.BadOverload);
        Add("overloaded file without END", PacketBuilder.Of(DhcpMessageType.Discover).With(DhcpOptionCode.Overload, 1).Build(), DhcpParseStatus.MissingEnd);
        Add("overloaded file carrying overload", Overloaded([52, 1, 2, 255]), DhcpParseStatus.BadOverload);
        Add("overloaded file option past end", Overloaded([12, 200, 65]), DhcpParseStatus.OptionPastEnd);
        Add("missing message type", new PacketBuilder().With(DhcpOptionCode.HostName, "x").Build(), DhcpParseStatus.MissingMessageType);
        Add("message type 0", new PacketBuilder().With(DhcpOptionCode.MessageType, 0).Build(), DhcpParseStatus.MissingMessageType);
        Add("message type OFFER from a client", PacketBuilder.Of(DhcpMessageType.Offer).Build(), DhcpParseStatus.BadMessageType);
        Add("message type ACK from a client", PacketBuilder.Of(DhcpMessageType.Ack).Build(), DhcpParseStatus.BadMessageType);
        Add("message type 200", new PacketBuilder().With(DhcpOptionCode.MessageType, 200).Build(), DhcpParseStatus.BadMessageType);
        Add("garbage after END", [.. PacketBuilder.Of(DhcpMessageType.Discover).Build(pad: false), 0, 0, 7, 0], DhcpParseStatus.GarbageAfterEnd);
        Add("no END", PacketBuilder.Of(DhcpMessageType.Discover).Build(end: false, pad: false), DhcpParseStatus.MissingEnd);
        Add("only padding after cookie", [.. new PacketBuilder().Build(end: false, pad: false)[..240], 0, 0, 0], DhcpParseStatus.MissingEnd);
        return data;
    }

    [Theory]
    [MemberData(nameof(BadPackets))]
    public void MalformedPacketIsRejectedWithItsReason(string name, byte[] packet, string expected)
    {
        Assert.False(string.IsNullOrEmpty(name));
        Assert.Equal(expected, DhcpParser.TryParse(packet, out var message).ToString());
        Assert.Null(message);
    }

    [Fact]
    public void RepeatedOptionsAreConcatenated()
    {
        var packet = PacketBuilder.Of(DhcpMessageType.Discover).With(DhcpOptionCode.HostName, "bla").With(DhcpOptionCode.HostName, "de7").Build();
        Assert.Equal(DhcpParseStatus.Ok, DhcpParser.TryParse(packet, out var message));
        Assert.True(message!.TryGetOption(DhcpOptionCode.HostName, out var v));
        Assert.Equal("blade7"u8.ToArray(), v.ToArray());
    }

    [Fact]
    public void OverloadedFileFieldCarriesOptions()
    {
        var packet = Overloaded([DhcpOptionCode.HostName, 3, (byte)'b', (byte)'p', (byte)'1', 255]);
        Assert.Equal(DhcpParseStatus.Ok, DhcpParser.TryParse(packet, out var message));
        Assert.True(message!.TryGetOption(DhcpOptionCode.HostName, out var v));
        Assert.Equal("bp1"u8.ToArray(), v.ToArray());
    }

    [Fact]
    public void RapidCommitMayBeEmpty()
    {
        var packet = PacketBuilder.Of(DhcpMessageType.Discover).With(DhcpOptionCode.RapidCommit, []).Build();
        Assert.Equal(DhcpParseStatus.Ok, DhcpParser.TryParse(packet, out _));
    }

    private static byte[] Overloaded(byte[] fileOptions)
    {
        var p = PacketBuilder.Of(DhcpMessageType.Discover).With(DhcpOptionCode.Overload, 1).Build();
        fileOptions.CopyTo(p, 108);
        return p;
    }
}
