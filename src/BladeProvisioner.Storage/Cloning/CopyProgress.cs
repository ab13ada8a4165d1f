namespace BladeProvisioner.Storage.Cloning;

/// <summary>
/// A checkpoint, reported at most every ~256 MiB or ~1 s. <see cref="DurableOffset"/> is the source offset below
/// which the destination has been fdatasync'ed: persist it and pass it back as <see cref="CopyRequest.ResumeOffset"/>.
/// </summary>
public readonly record struct CopyProgress(long BytesDone, long BytesTotal, long DurableOffset, double BytesPerSecond);
