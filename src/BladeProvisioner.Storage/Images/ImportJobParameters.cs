using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Storage.Images;

internal sealed record ImportJobParameters(long ImageId, string SourcePath, ImageFormat Format, string Destination, bool DeleteSourceAfterImport);

/// <summary>Where an interrupted import resumes: the durable offset of a raw copy.</summary>
internal sealed record ImportCheckpoint(long DurableOffset);
