using System.Diagnostics.CodeAnalysis;

namespace BladeProvisioner.EndToEnd;

/// <summary>
/// What the virtual chassis needs on this machine. A missing piece fails the run with its name; outside CI a developer
/// may opt into skipping with BP_ALLOW_SKIP=1 (ignored when CI=true).
/// </summary>
internal static class LabPrerequisites
{
    private static readonly string[] Programs =
    [
        "/usr/sbin/ip", "/usr/bin/qemu-system-x86_64", "/usr/bin/ipmi_sim", "/usr/bin/ipmitool", "/usr/sbin/tgtd",
        "/usr/sbin/tgtadm", "/usr/bin/python3", "/usr/bin/curl", "/usr/bin/iscsi-ls", "/usr/bin/mcopy", "/usr/sbin/mkfs.ext4",
        "/usr/sbin/dnsmasq",
    ];

    private static readonly string[] Files =
    [
        "/usr/lib/ipxe/qemu/pxe-e1000.rom", "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd",
        "/usr/lib/ipxe/undionly.kpxe", "/usr/lib/ipxe/ipxe.efi", "/usr/lib/syslinux/mbr/mbr.bin", "/bin/busybox", "/usr/sbin/iscsistart",
    ];

    public static bool UnderCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Names every missing prerequisite at once, or null when all are there.</summary>
    public static string? Missing(string repository)
    {
        var missing = new List<string>();
        if (!string.Equals(Environment.UserName, "root", StringComparison.Ordinal))
        {
            missing.Add("root privileges (network namespaces, taps, DHCP/TFTP ports, tgtd)");
        }

        if (!Directory.Exists("/run/netns") && !CanCreate("/run/netns"))
        {
            missing.Add("network namespaces (/run/netns)");
        }

        missing.AddRange(Programs.Where(p => !File.Exists(p) && !File.Exists(p.Replace("/usr/sbin/", "/sbin/", StringComparison.Ordinal))));
        missing.AddRange(Files.Where(f => !File.Exists(f)));
        if (!Directory.EnumerateFiles("/boot", "vmlinuz-*").Any())
        {
            missing.Add("a Debian kernel in /boot (linux-image-amd64, for the test donor image)");
        }

        var lab = Path.Combine(repository, "deploy", "lab", "lab.sh");
        if (!File.Exists(lab))
        {
            missing.Add(lab);
        }

        return missing.Count == 0 ? null : string.Join(", ", missing);
    }

    [DoesNotReturn]
    public static void Fail(string missing)
    {
        var message = $"Missing prerequisite(s) for the virtual chassis: {missing}. './bp test' installs the packages (see TEST_PACKAGES in bp).";
        if (!UnderCi && Environment.GetEnvironmentVariable("BP_ALLOW_SKIP") == "1")
        {
            Assert.Skip(message);
        }

        Assert.Fail(message);
        throw new InvalidOperationException(message);
    }

    private static bool CanCreate(string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
