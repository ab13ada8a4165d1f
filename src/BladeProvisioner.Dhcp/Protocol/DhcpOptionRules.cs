namespace BladeProvisioner.Dhcp.Protocol;

/// <summary>Length and value rules for the options the server acts on (RFC 2132, 3046, 4578).</summary>
internal static class DhcpOptionRules
{
    public static DhcpParseStatus Validate(DhcpOption[] options, out DhcpMessageType type)
    {
        type = DhcpMessageType.None;
        foreach (var o in options)
        {
            var v = o.Value.Span;
            bool ok = o.Code switch
            {
                DhcpOptionCode.MessageType => v.Length == 1,
                DhcpOptionCode.RequestedAddress or DhcpOptionCode.ServerIdentifier or DhcpOptionCode.LeaseTime => v.Length == 4,
                DhcpOptionCode.MaxMessageSize => v.Length == 2,
                DhcpOptionCode.ClientIdentifier => v.Length >= 2,
                DhcpOptionCode.ClientArchitecture => v.Length >= 2 && v.Length % 2 == 0,
                DhcpOptionCode.ClientNetworkInterface => v.Length == 3,
                DhcpOptionCode.ClientMachineId => v.Length == 17 && v[0] == 0,
                DhcpOptionCode.RelayAgentInformation => SubOptionsWellFormed(v),
                DhcpOptionCode.RapidCommit => v.Length == 0,
                _ => true,
            };
            if (!ok)
            {
                return DhcpParseStatus.BadOptionLength;
            }

            if (o.Code == DhcpOptionCode.MessageType)
            {
                type = (DhcpMessageType)v[0];
            }
        }

        if (type == DhcpMessageType.None)
        {
            return DhcpParseStatus.MissingMessageType;
        }

        // Only client message types are accepted by a server.
        return type is DhcpMessageType.Discover or DhcpMessageType.Request or DhcpMessageType.Decline
            or DhcpMessageType.Release or DhcpMessageType.Inform
            ? DhcpParseStatus.Ok
            : DhcpParseStatus.BadMessageType;
    }

    /// <summary>Option 82 (RFC 3046 §2.0) and 175 are code/length/value lists that must exactly fill the option.</summary>
    public static bool SubOptionsWellFormed(ReadOnlySpan<byte> value)
    {
        int i = 0;
        while (i < value.Length)
        {
            if ((uint)(i + 1) >= (uint)value.Length)
            {
                return false;
            }

            int len = value[i + 1];
            if (len == 0 || i + 2 + len > value.Length)
            {
                return false;
            }

            i += 2 + len;
        }

        return value.Length >= 2;
    }

    /// <summary>Finds a sub-option (option 82 circuit-id 1 / remote-id 2, option 175 features).</summary>
    public static bool TryGetSubOption(ReadOnlySpan<byte> value, byte code, out ReadOnlySpan<byte> sub)
    {
        int i = 0;
        while ((uint)(i + 1) < (uint)value.Length)
        {
            int len = value[i + 1];
            if (i + 2 + len > value.Length)
            {
                break;
            }

            if (value[i] == code)
            {
                sub = value.Slice(i + 2, len);
                return true;
            }

            i += 2 + len;
        }

        sub = default;
        return false;
    }
}
