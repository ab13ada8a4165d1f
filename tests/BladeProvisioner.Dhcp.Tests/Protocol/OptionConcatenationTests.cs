using System.Buffers.Binary;
using BladeProvisioner.Dhcp.Protocol;

namespace BladeProvisioner.Dhcp.Tests.Protocol;

/// <summary>
/// RFC 3396: an option split into many pieces is one option. Joining must cost work linear in the datagram: a 64 KiB
/// datagram of 3-byte pieces of one option once cost about 237 MB of allocation (each piece copied all before it).
/// </summary>
public sealed class OptionConcatenationTests
{
    private const int MaxUdpPayload = 65507;
    private const byte SplitCode = 224;

    /// <summary>A DISCOVER filling <paramref name="length"/> bytes with one-byte pieces of option 224.</summary>
    private static byte[] ManySmallPieces(int length, out int pieces)
    {
        var packet = new byte[length];
        packet[0] = 1;
        packet[1] = 1;
        packet[2] = 6;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(DhcpParser.FixedHeaderLength), DhcpParser.MagicCookie);
        var i = DhcpParser.OptionsOffset;
        packet[i++] = DhcpOptionCode.MessageType;
        packet[i++] = 1;
        packet[i++] = (byte)DhcpMessageType.Discover;
        pieces = 0;
        while (i + 3 < length)
        {
            packet[i++] = SplitCode;
            packet[i++] = 1;
            packet[i++] = (byte)pieces++;
        }

        packet[i] = DhcpOptionCode.End;
        return packet;
    }

    private static long AllocatedByParse(byte[] packet, out DhcpMessage? message)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(DhcpParseStatus.Ok, DhcpParser.TryParse(packet, out message));
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void A64KiBDatagramOfManySmallPiecesIsJoinedWithLinearAllocation()
    {
        AllocatedByParse(ManySmallPieces(4096, out _), out _); // first-call costs out of the measurement
        var packet = ManySmallPieces(MaxUdpPayload, out var pieces);

        var allocated = AllocatedByParse(packet, out var message);

        TestContext.Current.TestOutputHelper?.WriteLine($"{allocated:N0} bytes allocated to parse a {packet.Length:N0}-byte datagram of {pieces:N0} pieces");
        // A copy of the datagram, the piece table and the joined value: a few tens of bytes per datagram byte at most.
        Assert.True(allocated < 32L * packet.Length, $"{allocated:N0} bytes allocated to parse a {packet.Length:N0}-byte datagram of {pieces:N0} pieces");
        var joined = message!.Options.Single(o => o.Code == SplitCode).Value.Span;
        Assert.Equal(pieces, joined.Length);
        for (var n = 0; n < pieces; n++)
        {
            Assert.Equal((byte)n, joined[n]);
        }
    }

    [Fact]
    public void JoiningWorkGrowsLinearlyWithTheNumberOfPieces()
    {
        AllocatedByParse(ManySmallPieces(4096, out _), out _);

        var quarter = AllocatedByParse(ManySmallPieces(16 * 1024, out _), out _);
        var full = AllocatedByParse(ManySmallPieces(64 * 1024, out _), out _);

        // Four times the pieces: about four times the allocation when linear, sixteen when quadratic.
        Assert.True(full < 6 * quarter, $"16 KiB: {quarter:N0} bytes, 64 KiB: {full:N0} bytes");
    }

    [Fact]
    public void PiecesOfSeveralOptionsAreJoinedPerCodeInOrderOfFirstAppearance()
    {
        byte[] options = [53, 1, 1, 60, 2, (byte)'P', (byte)'X', 43, 1, 9, 60, 1, (byte)'E', 43, 2, 8, 7, 12, 1, (byte)'h', 255];
        var packet = new byte[DhcpParser.OptionsOffset + options.Length];
        packet[0] = 1;
        packet[1] = 1;
        packet[2] = 6;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(DhcpParser.FixedHeaderLength), DhcpParser.MagicCookie);
        options.CopyTo(packet, DhcpParser.OptionsOffset);

        Assert.Equal(DhcpParseStatus.Ok, DhcpParser.TryParse(packet, out var message));

        Assert.Equal([53, 60, 43, 12], message!.Options.Select(o => o.Code));
        Assert.Equal("PXE"u8.ToArray(), message.Options[1].Value.ToArray());
        Assert.Equal(new byte[] { 9, 8, 7 }, message.Options[2].Value.ToArray());
        Assert.Equal("h"u8.ToArray(), message.Options[3].Value.ToArray());
    }
}
