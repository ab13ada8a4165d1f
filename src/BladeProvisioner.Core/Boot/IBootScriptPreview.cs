using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Core.Boot;

/// <summary>
/// The boot conversation's dry run, for the operator's API: the script a blade with this identity would get now,
/// with no side effect and CHAP secrets masked. Implemented by the Boot module.
/// </summary>
public interface IBootScriptPreview
{
    /// <param name="baseUri">The appliance's URL as the caller reached it; the script's links point there.</param>
    /// <param name="mac">The blade's boot MAC as typed by the caller.</param>
    /// <param name="platform">The firmware to assume for a blade not seen yet.</param>
    /// <param name="requestHost">The host the caller reached us on: the portal shown when none is configured.</param>
    /// <param name="ct">Cancels the database reads.</param>
    Task<string> PreviewAsync(Uri baseUri, string? mac, BootPlatform platform, string requestHost, CancellationToken ct);
}
