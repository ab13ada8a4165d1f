namespace BladeProvisioner.Tftp.Protocol;

/// <summary>
/// What a transfer runs with after RFC 2347 negotiation. <see cref="Acknowledged"/> is empty when no OACK is due
/// (the client asked for nothing the server accepts): the server then starts with DATA 1 at RFC 1350 defaults.
/// </summary>
internal sealed record NegotiatedOptions(int BlockSize, int WindowSize, TimeSpan? Timeout, long? TransferSize, IReadOnlyList<TftpOption> Acknowledged)
{
    public const int DefaultBlockSize = 512;

    public static NegotiatedOptions Defaults { get; } = new(DefaultBlockSize, 1, null, null, []);
}
