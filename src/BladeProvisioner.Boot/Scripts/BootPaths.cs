using BladeProvisioner.Core.Boot;

namespace BladeProvisioner.Boot.Scripts;

/// <summary>The boot endpoints the scripts chain to; the endpoint mapping uses the same constants.</summary>
internal static class BootPaths
{
    /// <summary>What DHCP hands iPXE: answers the <see cref="IpxeScriptRenderer.Entry"/> script.</summary>
    public const string Entry = BootUrls.EntryPath;

    /// <summary>Identity-keyed: mac, uuid, serial, manufacturer, product, platform, buildarch (and token).</summary>
    public const string Blade = BootUrls.Prefix + "/blade";

    /// <summary>blade, optional error and errno: the menu (or zero-touch / sanboot for a blade that has one).</summary>
    public const string Menu = BootUrls.Prefix + "/menu";

    /// <summary>blade, image: creates the boot volume and starts the clone; answers a progress script.</summary>
    public const string Choose = BootUrls.Prefix + "/choose";

    /// <summary>blade: clone progress; answers progress, reboot or error.</summary>
    public const string Status = BootUrls.Prefix + "/status";

    /// <summary>name: an iPXE binary for UEFI HTTP boot.</summary>
    public const string Files = BootUrls.LoaderFilesPath + "{name}";
}
