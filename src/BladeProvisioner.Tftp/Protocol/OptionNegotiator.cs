using System.Globalization;

namespace BladeProvisioner.Tftp.Protocol;

/// <summary>
/// Server side of option negotiation. Options the server does not know are ignored (RFC 2347 §2); a known option
/// with a value outside its RFC range is refused with error 8; the server never acknowledges an option the client
/// did not send.
/// </summary>
internal static class OptionNegotiator
{
    public const int MinBlockSize = 8;        // RFC 2348
    public const int MaxBlockSize = 65464;    // RFC 2348
    public const int MaxWindowSize = 65535;   // RFC 7440
    public const int MaxTimeoutSeconds = 255; // RFC 2349

    /// <summary>
    /// Negotiates; returns null and an error message when the request must be refused with error 8. A timeout above
    /// <paramref name="timeoutCapSeconds"/> is left unacknowledged, so the server's own timeout applies.
    /// </summary>
    public static NegotiatedOptions? Negotiate(
        IReadOnlyList<TftpOption> requested, int blockSizeCap, int windowSizeCap, Func<long> transferSize, out string? error, int timeoutCapSeconds = MaxTimeoutSeconds)
    {
        error = null;
        var blockSize = NegotiatedOptions.DefaultBlockSize;
        var windowSize = 1;
        TimeSpan? timeout = null;
        long? size = null;
        var acknowledged = new List<TftpOption>(requested.Count);
        foreach (var option in requested)
        {
            switch (option.Name)
            {
                case "blksize":
                    if (!TftpRequestParser.TryParseNumber(option.Value, long.MaxValue, out var asked) || asked < MinBlockSize)
                    {
                        error = $"blksize '{option.Value}' is not in {MinBlockSize}..{MaxBlockSize}";
                        return null;
                    }

                    // RFC 2348: the server may answer a smaller size than asked; larger requests are capped.
                    blockSize = (int)Math.Min(Math.Min(asked, MaxBlockSize), blockSizeCap);
                    acknowledged.Add(option with { Value = Text(blockSize) });
                    break;
                case "windowsize":
                    if (!TftpRequestParser.TryParseNumber(option.Value, MaxWindowSize, out var window) || window < 1)
                    {
                        error = $"windowsize '{option.Value}' is not in 1..{MaxWindowSize}";
                        return null;
                    }

                    windowSize = (int)Math.Min(window, windowSizeCap);
                    acknowledged.Add(option with { Value = Text(windowSize) });
                    break;
                case "timeout":
                    if (!TftpRequestParser.TryParseNumber(option.Value, MaxTimeoutSeconds, out var seconds) || seconds < 1)
                    {
                        error = $"timeout '{option.Value}' is not in 1..{MaxTimeoutSeconds}";
                        return null;
                    }

                    // RFC 2349: the server must either accept the value as sent or not acknowledge it. Above the cap
                    // it is not acknowledged: a client asking for 255 s and never ACKing would hold its slot for hours.
                    if (seconds > timeoutCapSeconds)
                    {
                        break;
                    }

                    timeout = TimeSpan.FromSeconds(seconds);
                    acknowledged.Add(option);
                    break;
                case "tsize":
                    // RFC 2349: a read request carries "0"; the value means nothing, and real clients send others
                    // (atftp sends "enable"), so any value is answered with the size.
                    size = transferSize();
                    acknowledged.Add(option with { Value = Text(size.Value) });
                    break;
                default:
                    break;
            }
        }

        return new NegotiatedOptions(blockSize, windowSize, timeout, size, acknowledged);
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
