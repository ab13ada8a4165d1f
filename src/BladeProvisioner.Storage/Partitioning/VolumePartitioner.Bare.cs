using BladeProvisioner.Storage.Partitioning.Gpt;
using Microsoft.Win32.SafeHandles;

namespace BladeProvisioner.Storage.Partitioning;

public sealed partial class VolumePartitioner
{
    // The donor was copied at plan.DestinationOffset; block 0 up to there is still a hole. Put a table in front.
    private static async Task<PersonalizeResult> PartitionBareFilesystemAsync(
        SafeFileHandle file, long volumeSize, PersonalizeOptions options, CancellationToken ct)
    {
        var plan = options.Plan!;
        var offset = plan.DestinationOffset;
        if (offset <= 0 || offset % 4096 != 0)
        {
            throw new PartitionTableException(PartitionTableError.Unsupported, "A bare-filesystem plan needs a positive, 4 KiB aligned offset.");
        }

        if (volumeSize < plan.MinimumVolumeSize)
        {
            throw new PartitionTableException(
                PartitionTableError.VolumeTooSmall, $"The volume needs at least {plan.MinimumVolumeSize} bytes for this donor.");
        }

        var probe = await ReadAsync(file, offset, FilesystemProbe.BytesNeeded, ct);
        var fs = FilesystemProbe.Detect(probe)
            ?? throw new PartitionTableException(PartitionTableError.NotRecognised, $"No filesystem at byte {offset} of the volume.");

        if (options.BareFilesystemScheme == PartitionScheme.Gpt)
        {
            var type = fs == FilesystemKind.Fat ? GptPartitionTypes.MicrosoftBasicData : GptPartitionTypes.LinuxFilesystem;
            await WriteSinglePartitionGptAsync(file, volumeSize, offset, type, IdentifiersFor(options), ct);
        }
        else
        {
            byte type = fs == FilesystemKind.Fat ? (FilesystemProbe.IsFat32(probe) ? (byte)0x0C : (byte)0x0E) : (byte)0x83;
            await WriteSinglePartitionMbrAsync(file, volumeSize, offset, type, IdentifiersFor(options), ct);
        }

        var layout = await ReadVerifiedLayoutAsync(file, volumeSize, ct);
        return new PersonalizeResult(PartitionScheme.BareFilesystem, null, layout, LastPartitionGrown: true);
    }
}
