namespace BladeProvisioner.Storage.Cloning;

/// <param name="Reflinked">The destination shares the source's extents (nothing was copied).</param>
/// <param name="BytesTotal">Logical size of the source.</param>
/// <param name="DataBytesCopied">Bytes written to the destination in this run (holes and zero blocks are not written).</param>
/// <param name="Elapsed">Wall time of this run.</param>
/// <param name="Sha256">Lowercase hex SHA-256 of the logical source, when requested.</param>
public sealed record CopyResult(bool Reflinked, long BytesTotal, long DataBytesCopied, TimeSpan Elapsed, string? Sha256);
