namespace BladeProvisioner.Core.Blades;

/// <summary>
/// Reads a blade's latest boot from its timeline events. A boot starts at a restart event, or at a DHCP exchange
/// that does not continue the DHCP of a boot still before its sanboot (the firmware's and iPXE's exchanges are one
/// boot; a DHCP after the sanboot or after the login is the next boot). A sanboot or login without a start on the
/// timeline (a blade that booted while its DHCP went elsewhere) still opens a boot, with an unknown start.
/// </summary>
public static class BladeBootReader
{
    public const string Restart = "blade.restart";
    public const string Restarted = "blade.restarted";
    public const string Sanboot = "boot.sanboot";
    public const string IscsiLogin = "blade.iscsi-login";
    public const string IscsiLogout = "blade.iscsi-logout";
    public const string OsUp = "blade.os-up";
    public const string DhcpPrefix = "dhcp.";

    /// <summary>Event kinds the reader looks at (DHCP kinds by <see cref="DhcpPrefix"/>).</summary>
    public static IReadOnlyList<string> Kinds { get; } = [Restart, Restarted, Sanboot, IscsiLogin, IscsiLogout, OsUp];

    public static bool IsStage(string kind) =>
        kind.StartsWith(DhcpPrefix, StringComparison.Ordinal) || Kinds.Contains(kind, StringComparer.Ordinal);

    /// <summary>The latest boot, or null when the events show none.</summary>
    public static BladeBoot? Latest(IEnumerable<BootStage> stages)
    {
        ArgumentNullException.ThrowIfNull(stages);
        BladeBoot? boot = null;
        bool beforeSanboot = false;
        var open = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in stages.OrderBy(s => s.At))
        {
            switch (s.Kind)
            {
                case Restart or Restarted:
                    boot = new BladeBoot { StartedAt = s.At, StartedBy = "power" };
                    beforeSanboot = true;
                    open.Clear();
                    break;
                case var k when k.StartsWith(DhcpPrefix, StringComparison.Ordinal):
                    if (boot is null || !beforeSanboot)
                    {
                        boot = new BladeBoot { StartedAt = s.At, StartedBy = "dhcp" };
                        beforeSanboot = true;
                        open.Clear();
                    }

                    break;
                case Sanboot:
                    // A second sanboot after a login, with no DHCP seen in between, is a boot of its own.
                    if (boot is null || boot.IscsiLoginAt is not null)
                    {
                        boot = new BladeBoot();
                        open.Clear();
                    }

                    boot = boot with { SanbootAt = boot.SanbootAt ?? s.At };
                    beforeSanboot = false;
                    break;
                case IscsiLogin:
                    boot ??= new BladeBoot();
                    open.Add(s.Session ?? string.Empty);
                    if (boot.IscsiLoginAt is null)
                    {
                        boot = boot with { IscsiLoginAt = s.At, IscsiLoginAddress = s.Address, IscsiLoginInitiator = s.Initiator };
                    }
                    else
                    {
                        boot = boot with { IscsiLogoutAt = null };
                    }

                    beforeSanboot = false;
                    break;
                case IscsiLogout:
                    // Only this boot's sessions count: the session of the boot before may linger until it times out.
                    if (boot?.IscsiLoginAt is not null && open.Remove(s.Session ?? string.Empty) && open.Count == 0)
                    {
                        boot = boot with { IscsiLogoutAt = s.At };
                    }

                    break;
                case OsUp:
                    // cloud-init's phone-home: the OS of this boot is up (the first post of the boot counts).
                    if (boot is not null && boot.OsUpAt is null)
                    {
                        boot = boot with { OsUpAt = s.At };
                    }

                    break;
                default:
                    break;
            }
        }

        return boot;
    }
}
