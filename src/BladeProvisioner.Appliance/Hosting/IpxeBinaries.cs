using BladeProvisioner.Core.Configuration;
using BladeProvisioner.Tftp;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Appliance.Hosting;

/// <summary>
/// Puts the iPXE binaries from Debian's <c>ipxe</c> package into the TFTP root at start: <c>undionly.kpxe</c> (BIOS),
/// <c>ipxe.efi</c> and <c>snponly.efi</c> (UEFI). Debian ships some as symlinks into /boot, which the TFTP server
/// rightly refuses (they lead out of its root), so the files are copied, not linked. A file already there is kept
/// unless the package's is newer.
/// </summary>
internal sealed partial class IpxeBinaries(IConfiguration configuration, IOptions<ApplianceOptions> appliance, ILogger<IpxeBinaries> logger) : IHostedService
{
    public static readonly string[] Files = ["undionly.kpxe", "ipxe.efi", "snponly.efi"];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var root = TftpRoot(configuration, appliance.Value);
        var source = appliance.Value.IpxeDirectory;
        Directory.CreateDirectory(root);
        foreach (var name in Files)
        {
            var from = Path.Combine(source, name);
            var to = Path.Combine(root, name);
            if (!File.Exists(from))
            {
                LogMissing(logger, from);
                continue;
            }

            if (!File.Exists(to) || File.GetLastWriteTimeUtc(to) < File.GetLastWriteTimeUtc(from))
            {
                File.Copy(from, to + ".new", overwrite: true);
                File.Move(to + ".new", to, overwrite: true);
                LogCopied(logger, name, root);
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public static string TftpRoot(IConfiguration configuration, ApplianceOptions appliance) =>
        configuration.GetSection(TftpOptions.SectionName).Get<TftpOptions>()?.Root is { Length: > 0 } r ? r : appliance.PathUnderData("tftp");

    [LoggerMessage(EventId = ApplianceEventIds.IpxeMissing, Level = LogLevel.Warning, Message = "iPXE binary {Path} not found; install Debian's 'ipxe' package so blades can PXE-boot")]
    private static partial void LogMissing(ILogger logger, string path);

    [LoggerMessage(EventId = ApplianceEventIds.IpxeCopied, Level = LogLevel.Information, Message = "Copied iPXE binary {Name} into the TFTP root {Root}")]
    private static partial void LogCopied(ILogger logger, string name, string root);
}
