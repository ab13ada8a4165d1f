namespace BladeProvisioner.Dhcp.Protocol;

/// <summary>Why a packet was accepted or dropped. Each non-OK value is a label of the dropped-packets counter.</summary>
internal enum DhcpParseStatus
{
    Ok,
    Truncated,
    NotBootRequest,
    UnsupportedHardwareType,
    BadHardwareLength,
    BadMagicCookie,
    OptionPastEnd,
    ZeroLengthOption,
    BadOptionLength,
    MissingEnd,
    GarbageAfterEnd,
    BadOverload,
    MissingMessageType,
    BadMessageType,
    Oversized,
}
