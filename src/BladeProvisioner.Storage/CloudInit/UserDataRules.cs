using System.Text;

namespace BladeProvisioner.Storage.CloudInit;

/// <summary>
/// What user-data the appliance accepts for an image or a blade: UTF-8 text of at most <see cref="MaxBytes"/> that is a
/// <c>#cloud-config</c> document, a script (<c>#!</c>) or a MIME multipart document (<c>Content-Type: multipart/</c>),
/// without NUL bytes and without the appliance's own MIME boundary. The YAML of a cloud-config is not parsed here:
/// cloud-init reports YAML errors on the blade (<c>cloud-init schema</c>).
/// </summary>
public static class UserDataRules
{
    /// <summary>64 KiB per part: cloud-init's own EC2/NoCloud guidance is 16 KiB compressed; a seed holds three parts.</summary>
    public const int MaxBytes = 64 * 1024;

    public static UserDataKind KindOf(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var head = text.TrimStart('\uFEFF');
        if (head.StartsWith("#cloud-config", StringComparison.Ordinal))
        {
            return UserDataKind.CloudConfig;
        }

        if (head.StartsWith("#!", StringComparison.Ordinal))
        {
            return UserDataKind.Script;
        }

        return head.StartsWith("Content-Type: multipart/", StringComparison.OrdinalIgnoreCase) ? UserDataKind.Mime : UserDataKind.Invalid;
    }

    /// <summary>Null when acceptable, else why not (for a 400 ProblemDetails; never echoes the content).</summary>
    public static string? Validate(string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (Encoding.UTF8.GetByteCount(text) > MaxBytes)
        {
            return $"userData is larger than {MaxBytes} bytes.";
        }

        if (text.Contains('\0', StringComparison.Ordinal))
        {
            return "userData must be text (it contains a NUL byte).";
        }

        if (text.Contains(NoCloudSeed.Boundary, StringComparison.Ordinal))
        {
            return "userData must not contain the appliance's MIME boundary.";
        }

        return KindOf(text) == UserDataKind.Invalid
            ? "userData must start with '#cloud-config', '#!' (a script) or 'Content-Type: multipart/' (MIME)."
            : null;
    }
}
