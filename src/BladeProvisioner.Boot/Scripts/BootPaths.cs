namespace BladeProvisioner.Boot.Scripts;

/// <summary>The boot endpoints the scripts chain to; the endpoint mapping uses the same constants.</summary>
internal static class BootPaths
{
    /// <summary>What DHCP hands iPXE: answers the <see cref="IpxeScriptRenderer.Entry"/> script.</summary>
    public const string Entry = "/boot/ipxe";

    /// <summary>Identity-keyed: mac, uuid, serial, manufacturer, product, platform, buildarch (and token).</summary>
    public const string Blade = "/boot/blade";

    /// <summary>blade, optional error and errno: the menu (or zero-touch / sanboot for a blade that has one).</summary>
    public const string Menu = "/boot/menu";

    /// <summary>blade, image: creates the boot volume and starts the clone; answers a progress script.</summary>
    public const string Choose = "/boot/choose";

    /// <summary>blade: clone progress; answers progress, reboot or error.</summary>
    public const string Status = "/boot/status";
}
