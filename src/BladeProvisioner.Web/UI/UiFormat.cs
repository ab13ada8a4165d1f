using System.Globalization;
using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Web.UI;

/// <summary>Small formatting helpers for the pages.</summary>
public static class UiFormat
{
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : value.ToString(value >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    public static string Ago(DateTimeOffset at, DateTimeOffset now)
    {
        var d = now - at;
        return d.TotalSeconds < 60 ? $"{Math.Max(0, (int)d.TotalSeconds)} s ago"
            : d.TotalMinutes < 60 ? $"{(int)d.TotalMinutes} min ago"
            : d.TotalHours < 48 ? $"{(int)d.TotalHours} h ago"
            : $"{(int)d.TotalDays} d ago";
    }

    public static string Time(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z";

    /// <summary>An elapsed time from a boot's start: "+12.3 s", "+2 min 05 s"; empty when unknown.</summary>
    public static string Seconds(double? seconds) => seconds switch
    {
        null => "",
        < 120 => "+" + seconds.Value.ToString("0.0", CultureInfo.InvariantCulture) + " s",
        _ => $"+{(int)(seconds.Value / 60)} min {(int)(seconds.Value % 60):00} s",
    };

    /// <summary>What an image's cloud-init mode does to each clone.</summary>
    public static string CloudInitMode(CloudInitPolicy mode) => mode switch
    {
        CloudInitPolicy.Auto => "a seed when the clone's root has cloud-init",
        CloudInitPolicy.On => "always a seed",
        _ => "never a seed",
    };

    /// <summary>What the stored user-data is, never its content: "set, 123 bytes, sha256 …" or "not set".</summary>
    public static string UserData(ICloudInitSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.CloudInitUserDataProtected is null ? "not set" : $"set, {settings.CloudInitUserDataBytes} bytes, sha256 {settings.CloudInitUserDataSha256}";
    }

    /// <summary>The authorised keys, one OpenSSH public key line each.</summary>
    public static IReadOnlyList<string> SshKeys(ICloudInitSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.CloudInitSshKeys is null ? [] : settings.CloudInitSshKeys.Split('\n');
    }

    public static string Percent(Job job) =>
        (job.ProgressTotal > 0 ? 100.0 * job.ProgressDone / job.ProgressTotal : job.State == JobState.Succeeded ? 100 : 0).ToString("0.0", CultureInfo.InvariantCulture);
}
