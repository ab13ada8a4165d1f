using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Boot.Scripts;

// What each boot script needs. Display text (names, messages) may hold anything: the renderer makes it safe.

/// <summary>The first script: sends the blade's identity to <see cref="BootPaths.Blade"/>.</summary>
internal sealed record EntryScript(Uri BaseUri)
{
    /// <summary>The boot ticket of the DHCP answer that brought iPXE here, passed on to the identity request.</summary>
    public string? Ticket { get; init; }

    public int RetrySeconds { get; init; } = 10;
}

internal sealed record MenuImage(long Id, string Name);

/// <summary>The image menu of an unprovisioned blade.</summary>
/// <param name="Links">Where the menu's choices lead.</param>
/// <param name="Title">e.g. "blade 17 (52:54:00:12:34:56)".</param>
/// <param name="Platform">The blade's firmware.</param>
/// <param name="Images">Active images compatible with <paramref name="Platform"/>, in display order.</param>
internal sealed record MenuScript(BootLinks Links, string Title, BootPlatform Platform, IReadOnlyList<MenuImage> Images)
{
    /// <summary>Without a choice the menu refreshes itself after this long (new images, a zero-touch assignment).</summary>
    public int TimeoutSeconds { get; init; } = 300;

    /// <summary>Why the blade is back at the menu, in words (a failed boot, a refused choice).</summary>
    public string? Error { get; init; }
}

/// <summary>The progress screen while the boot volume is cloned.</summary>
internal sealed record ProgressScript(BootLinks Links, string ImageName)
{
    /// <summary>0–100, or null before the first report.</summary>
    public double? Percent { get; init; }

    public double? BytesPerSecond { get; init; }
    public long? BytesDone { get; init; }
    public long? BytesTotal { get; init; }

    /// <summary>e.g. "cloning", "checking partitions", "exporting".</summary>
    public string? Stage { get; init; }

    public int RefreshSeconds { get; init; } = 3;
}

/// <summary>A CHAP user name and secret. <see cref="ToString"/> never shows the secret.</summary>
internal sealed record ChapCredentials(string Username, string Secret)
{
    public override string ToString() => $"ChapCredentials {{ Username = {Username}, Secret = *** }}";
}

/// <summary>Boot from the blade's iSCSI volume. Carries CHAP secrets: serve it to its own blade only.</summary>
/// <param name="Links">Where the script returns when the sanboot fails.</param>
/// <param name="InitiatorIqn">The blade's own initiator name, set before the login.</param>
/// <param name="Portal">iSCSI portal address or host name.</param>
/// <param name="TargetIqn">The blade's target.</param>
/// <param name="Chap">The blade's CHAP account.</param>
internal sealed record SanbootScript(BootLinks Links, string InitiatorIqn, string Portal, string TargetIqn, ChapCredentials Chap)
{
    public int Port { get; init; } = IscsiRootPath.DefaultPort;

    /// <summary>LUN 0 is tgt's controller; the volume is LUN 1.</summary>
    public int Lun { get; init; } = 1;

    /// <summary>Mutual CHAP: the target proves itself to the blade with these.</summary>
    public ChapCredentials? MutualChap { get; init; }

    /// <summary>What is being booted, for the console (e.g. the image name).</summary>
    public string? Description { get; init; }

    public int Attempts { get; init; } = 3;
    public int RetrySeconds { get; init; } = 5;
}

/// <summary>An error in words, then back to the menu.</summary>
internal sealed record ErrorScript(BootLinks Links, string Message)
{
    /// <summary>Stable code (e.g. IMAGE_NOT_ACTIVE), shown for support.</summary>
    public string? Code { get; init; }

    public int ReturnSeconds { get; init; } = 15;
}

/// <summary>In-band restart: the script ends with iPXE <c>reboot</c>.</summary>
internal sealed record RebootScript(string Message)
{
    public int DelaySeconds { get; init; } = 3;
}
