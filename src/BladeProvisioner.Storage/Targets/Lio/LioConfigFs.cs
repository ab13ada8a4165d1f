using System.Globalization;

namespace BladeProvisioner.Storage.Targets.Lio;

/// <summary>
/// Reads LIO's live state straight from configfs (<c>/sys/kernel/config/target</c>): faster and more exact than
/// parsing targetcli's tree, and it shows CHAP settings, which LIO keeps per ACL.
/// </summary>
internal sealed class LioConfigFs(string root)
{
    public bool IsLoaded => Directory.Exists(Path.Combine(root, "iscsi"));

    public List<LioTarget> Read()
    {
        var list = new List<LioTarget>();
        var iscsi = Path.Combine(root, "iscsi");
        if (!Directory.Exists(iscsi))
        {
            return list;
        }

        foreach (var dir in Directory.EnumerateDirectories(iscsi, "iqn.*").Order(StringComparer.Ordinal))
        {
            var tpg = Path.Combine(dir, "tpgt_1");
            if (!Directory.Exists(tpg))
            {
                continue;
            }

            list.Add(new LioTarget(Path.GetFileName(dir), ReadLuns(tpg), ReadAcls(tpg)));
        }

        return list;
    }

    private static List<LiveLun> ReadLuns(string tpg)
    {
        var luns = new List<LiveLun>();
        var lunRoot = Path.Combine(tpg, "lun");
        if (!Directory.Exists(lunRoot))
        {
            return luns;
        }

        foreach (var lunDir in Directory.EnumerateDirectories(lunRoot, "lun_*"))
        {
            if (!int.TryParse(Path.GetFileName(lunDir).AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                continue;
            }

            // The LUN links to its storage object under core/<hba>/<name>.
            var link = Directory.EnumerateFileSystemEntries(lunDir)
                .Select(p => new FileInfo(p))
                .FirstOrDefault(f => f.LinkTarget is not null);
            string? path = null;
            string? serial = null;
            if (link?.ResolveLinkTarget(returnFinalTarget: true) is { } so)
            {
                path = ReadText(Path.Combine(so.FullName, "udev_path"));
                serial = ParseSerial(ReadText(Path.Combine(so.FullName, "wwn", "vpd_unit_serial")));
            }

            luns.Add(new LiveLun(n, path, serial, Wwn: null, SizeBytes: 0, IsController: false));
        }

        return [.. luns.OrderBy(l => l.Lun)];
    }

    private static List<LioAcl> ReadAcls(string tpg)
    {
        var acls = new List<LioAcl>();
        var aclRoot = Path.Combine(tpg, "acls");
        if (!Directory.Exists(aclRoot))
        {
            return acls;
        }

        foreach (var dir in Directory.EnumerateDirectories(aclRoot).Order(StringComparer.Ordinal))
        {
            var auth = Path.Combine(dir, "auth");
            acls.Add(new LioAcl(
                Path.GetFileName(dir),
                NullIfEmpty(ReadText(Path.Combine(auth, "userid"))),
                NullIfEmpty(ReadText(Path.Combine(auth, "password"))),
                NullIfEmpty(ReadText(Path.Combine(auth, "userid_mut"))),
                NullIfEmpty(ReadText(Path.Combine(auth, "password_mut"))),
                ParseSessionAddresses(ReadText(Path.Combine(dir, "info")))));
        }

        return acls;
    }

    /// <summary>"T10 VPD Unit Serial Number: BP…" → "BP…".</summary>
    internal static string? ParseSerial(string? text)
    {
        if (text is null)
        {
            return null;
        }

        int colon = text.IndexOf(':', StringComparison.Ordinal);
        return NullIfEmpty(colon >= 0 ? text[(colon + 1)..].Trim() : text.Trim());
    }

    /// <summary>Connection addresses from an ACL's info file ("   Address 10.0.0.2 TCP …"); empty when no session.</summary>
    internal static List<string> ParseSessionAddresses(string? info)
    {
        var addresses = new List<string>();
        if (info is null || info.StartsWith("No active", StringComparison.Ordinal))
        {
            return addresses;
        }

        foreach (var raw in info.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("Address ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 2)
                {
                    addresses.Add(parts[1]);
                }
            }
        }

        return addresses;
    }

    private static string? ReadText(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim('\n', '\0', ' ') : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
