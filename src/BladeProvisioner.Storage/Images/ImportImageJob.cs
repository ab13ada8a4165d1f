using System.Security.Cryptography;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Lifecycle;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Data;
using BladeProvisioner.Jobs;
using BladeProvisioner.Platform.Files;
using BladeProvisioner.Storage.Cloning;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Storage.Images;

/// <summary>
/// Brings a file into the image store as a raw sparse version with its SHA-256. Raw sources are copied with the clone
/// engine and resume from the last durable offset after a crash; other formats are converted by qemu-img and, if
/// interrupted, converted again from the start. The version becomes Active only once its file is complete and hashed;
/// until then it lives under a <c>.partial</c> name.
/// </summary>
internal sealed class ImportImageJob(
    IDbContextFactory<ApplianceDbContext> contexts,
    VolumeCopier copier,
    ImageProbe probe,
    ImagePreflight preflight,
    IOptions<ImageStoreOptions> options,
    TimeProvider time) : IJobHandler
{
    public string Kind => ImageService.ImportJobKind;

    public async Task RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var p = context.Parameters<ImportJobParameters>();
        if (!File.Exists(p.SourcePath))
        {
            throw DomainException.Invalid(ErrorCodes.ImageSourceMissing, $"The source '{p.SourcePath}' disappeared before the import finished.");
        }

        PrivateDirectory.Ensure(Path.GetDirectoryName(p.Destination)!);
        var partial = ImageStore.PartialPathFor(p.Destination);
        var size = new FileInfo(p.SourcePath).Length;
        string sha256;
        if (p.Format == ImageFormat.Raw)
        {
            var resume = context.Checkpoint<ImportCheckpoint>()?.DurableOffset ?? 0;
            if (resume > 0 && !File.Exists(partial))
            {
                resume = 0;
            }

            var progress = new SyncProgress(context, cancellationToken);
            var result = await copier.CopyAsync(
                new CopyRequest(p.SourcePath, partial, size)
                {
                    ResumeOffset = resume,
                    ComputeSha256 = true,
                    AllowReflink = true,
                    BytesPerSecondLimit = options.Value.ImportBytesPerSecondLimit,
                },
                progress,
                cancellationToken);
            sha256 = result.Sha256!;
        }
        else
        {
            await context.ReportAsync(0, size, cancellationToken: cancellationToken);
            // Checked again just before qemu-img reads it: the file may have changed since the import was accepted.
            var info = await probe.ProbeAsync(p.SourcePath, cancellationToken);
            if (info.Format != p.Format)
            {
                throw DomainException.Invalid(ErrorCodes.ImageFormatUnsupported, $"The source '{p.SourcePath}' changed from {p.Format} to {info.Format} after the import was accepted.");
            }

            await probe.ConvertToRawAsync(p.SourcePath, p.Format, partial, options.Value.ConvertTimeout, cancellationToken);
            sha256 = await HashAsync(partial, cancellationToken);
        }

        var virtualSize = new FileInfo(partial).Length;
        await context.ReportAsync(virtualSize, virtualSize, cancellationToken: cancellationToken);

        // The version is complete: give it its final name (durably: file, then directory), then make it Active.
        Durable.Rename(partial, p.Destination);
        var allocated = LinuxFile.AllocatedBytes(p.Destination);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var image = await db.DonorImages.SingleAsync(i => i.Id == p.ImageId, cancellationToken);
        image.Preflight = ImagePreflight.Serialize(await preflight.CheckAsync(p.Destination, image.BootMode, cancellationToken));
        image.Sha256 = sha256;
        image.VirtualSize = virtualSize;
        image.AllocatedSize = allocated;
        if (image.State == DonorImageState.Importing)
        {
            DonorImageLifecycle.Transition(image, DonorImageState.Active);
        }

        await db.SaveChangesAsync(cancellationToken);
        context.Timeline.Record(new TimelineRecord("jobs", "image.imported", $"{image.DisplayName} imported: {virtualSize} bytes, {allocated} allocated, sha256 {sha256}")
        {
            DonorImageId = image.Id,
            JobId = context.JobId,
            At = time.GetUtcNow(),
        });
        if (p.DeleteSourceAfterImport)
        {
            File.Delete(p.SourcePath);
        }
    }

    public async Task CleanupAsync(JobContext context, CancellationToken cancellationToken)
    {
        var p = context.Parameters<ImportJobParameters>();
        File.Delete(ImageStore.PartialPathFor(p.Destination));
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.DonorImages
            .Where(i => i.Id == p.ImageId && i.State == DonorImageState.Importing)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.State, DonorImageState.Failed), cancellationToken);
    }

    private static async Task<string> HashAsync(string path, CancellationToken ct)
    {
        await using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan | FileOptions.Asynchronous);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(f, ct));
    }

    /// <summary>The copier reports on its own thread; progress and checkpoints are written before it goes on.</summary>
    private sealed class SyncProgress(JobContext context, CancellationToken ct) : IProgress<CopyProgress>
    {
        public void Report(CopyProgress value) =>
            context.ReportAsync(value.BytesDone, value.BytesTotal, new ImportCheckpoint(value.DurableOffset), ct).GetAwaiter().GetResult();
    }
}
