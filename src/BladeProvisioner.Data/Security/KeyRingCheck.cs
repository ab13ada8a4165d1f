using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BladeProvisioner.Data.Security;

/// <summary>
/// At start: every key of the ring must decrypt with the configured certificates, else the appliance stops with the key
/// and the setting named (rather than failing later on the first CHAP secret). Warns when the ring has no certificate,
/// and when keys written before one was configured still lie in plaintext.
/// </summary>
internal sealed partial class KeyRingCheck(IKeyManager keys, KeyRingCheck.Settings settings, ILogger<KeyRingCheck> logger) : IHostedService
{
    internal sealed record Settings(string Directory, string? Thumbprint);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (settings.Thumbprint is null)
        {
            LogUnencrypted(logger, settings.Directory);
        }

        foreach (var key in keys.GetAllKeys().Where(k => !k.IsRevoked))
        {
            try
            {
                _ = key.Descriptor;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new InvalidOperationException(
                    $"DataProtection:Certificate:Path: key {key.KeyId} of the key ring in '{settings.Directory}' cannot be decrypted with certificate "
                    + $"{settings.Thumbprint ?? "(none configured)"} or any of DataProtection:Certificate:PreviousPaths: {ex.Message}",
                    ex);
            }
        }

        if (settings.Thumbprint is not null)
        {
            int plain = Directory.EnumerateFiles(settings.Directory, "*.xml")
                .Count(f => File.ReadAllText(f) is var xml && xml.Contains("<masterKey", StringComparison.Ordinal)
                    && !xml.Contains("<encryptedSecret", StringComparison.Ordinal));
            if (plain > 0)
            {
                LogPlaintextKeys(logger, plain, settings.Directory);
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = DataEventIds.KeyRingUnencrypted, Level = LogLevel.Warning, Message = "Key ring {Directory} is protected only by file permissions (0700/0600); set DataProtection:Certificate:Path")]
    private static partial void LogUnencrypted(ILogger logger, string directory);

    [LoggerMessage(EventId = DataEventIds.KeyRingPlaintextKeys, Level = LogLevel.Warning, Message = "{Count} key(s) in {Directory} predate the certificate and stay in plaintext until they expire")]
    private static partial void LogPlaintextKeys(ILogger logger, int count, string directory);
}
