using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace BladeProvisioner.Storage.CloudInit;

/// <summary>
/// What one clone's cloud-init NoCloud seed says: <c>meta-data</c> (instance-id, local-hostname), <c>user-data</c>
/// (the admin's SSH authorised keys, then the image's and the blade's own user-data, as one multipart MIME document)
/// and <c>vendor-data</c> (cloud-init's phone_home module pointed at the appliance). Secrets (user-data, the
/// phone-home URL with its token) are kept out of <see cref="object.ToString"/>.
/// </summary>
public sealed class NoCloudSeed
{
    /// <summary>Boundary of the user-data MIME document; user-data parts containing it are refused by validation.</summary>
    public const string Boundary = "==BladeProvisioner-cloud-init==";

    /// <summary>
    /// How cloud-config parts merge (cloud-init's merge_how): lists append (keys, packages, runcmd of both), dictionaries
    /// merge recursively with the later part's values replacing the earlier's, so the blade's settings win over the image's.
    /// </summary>
    public const string MergeType = "dict(recurse_array,replace)+list(append)+str()";

    public required string InstanceId { get; init; }

    public required string Hostname { get; init; }

    public IReadOnlyList<string> SshAuthorizedKeys { get; init; } = [];

    /// <summary>The image's user-data (plain text, decrypted for this build only), or null.</summary>
    public string? ImageUserData { get; init; }

    /// <summary>The blade's user-data, or null; a later MIME part than the image's.</summary>
    public string? BladeUserData { get; init; }

    /// <summary>The blade-facing phone-home URL, its secret token in the path; null: no vendor-data phone_home.</summary>
    public string? PhoneHomeUrl { get; init; }

    /// <summary>"i-" and 16 hex digits derived from the clone's identifier seed: the same for a resumed clone job, new per volume.</summary>
    public static string InstanceIdFor(IReadOnlyList<byte> identifierSeed)
    {
        ArgumentNullException.ThrowIfNull(identifierSeed);
        var bytes = HMACSHA256.HashData(identifierSeed.ToArray(), Encoding.ASCII.GetBytes("cloud-init instance-id"))[..8];
        return "i-" + Convert.ToHexStringLower(bytes);
    }

    public string MetaData() =>
        string.Create(CultureInfo.InvariantCulture, $"instance-id: {Quote(InstanceId)}\nlocal-hostname: {Quote(Hostname)}\n");

    /// <summary>
    /// A multipart/mixed document: first the appliance's own <c>#cloud-config</c> with the authorised keys, then the image's
    /// part, then the blade's. cloud-init handles each part by its type (cloud-config merged by <see cref="MergeType"/>,
    /// scripts run in order, image's first).
    /// </summary>
    public string UserData()
    {
        var parts = new List<string>();
        var own = new StringBuilder("#cloud-config\n");
        if (SshAuthorizedKeys.Count > 0)
        {
            own.Append("ssh_authorized_keys:\n");
            foreach (var key in SshAuthorizedKeys)
            {
                own.Append("  - ").Append(Quote(key)).Append('\n');
            }
        }
        else
        {
            // An empty mapping, not an empty document: cloud-init warns "empty cloud config" on a part that parses to nothing.
            own.Append("{}\n");
        }

        parts.Add(own.ToString());
        if (ImageUserData is { Length: > 0 } image)
        {
            parts.Add(image);
        }

        if (BladeUserData is { Length: > 0 } blade)
        {
            parts.Add(blade);
        }

        var mime = new StringBuilder();
        mime.Append("Content-Type: multipart/mixed; boundary=\"").Append(Boundary).Append("\"\nMIME-Version: 1.0\n\n");
        foreach (var part in parts)
        {
            var kind = UserDataRules.KindOf(part);
            mime.Append("--").Append(Boundary).Append('\n');
            mime.Append("Content-Type: ").Append(kind switch
            {
                UserDataKind.CloudConfig => "text/cloud-config",
                UserDataKind.Script => "text/x-shellscript",
                _ => "text/plain",
            }).Append("; charset=\"utf-8\"\nMIME-Version: 1.0\n");
            if (kind == UserDataKind.CloudConfig)
            {
                mime.Append("Merge-Type: ").Append(MergeType).Append('\n');
            }

            mime.Append('\n').Append(part);
            if (!part.EndsWith('\n'))
            {
                mime.Append('\n');
            }
        }

        mime.Append("--").Append(Boundary).Append("--\n");
        return mime.ToString();
    }

    /// <summary>
    /// cloud-init's phone_home module, posting the host keys a current OS has (not DSA: OpenSSH stopped making those, and
    /// <c>post: all</c> makes cloud-init warn that it cannot read one), the instance id, hostname and fqdn.
    /// </summary>
    public string VendorData() => PhoneHomeUrl is null
        ? "#cloud-config\n{}\n"
        : $"#cloud-config\nphone_home:\n  url: {Quote(PhoneHomeUrl)}\n  post: [pub_key_rsa, pub_key_ecdsa, pub_key_ed25519, instance_id, hostname, fqdn]\n  tries: 10\n";

    public override string ToString() => $"NoCloudSeed {{ InstanceId = {InstanceId}, Hostname = {Hostname}, Keys = {SshAuthorizedKeys.Count}, UserData = ***, PhoneHomeUrl = *** }}";

    private static readonly System.Text.Json.JsonSerializerOptions QuoteOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// A YAML double-quoted scalar (JSON string syntax is valid YAML). Relaxed escaping: keys keep their '+' as written
    /// (the default encoder's <c>\u002B</c> is valid YAML too, but not what an admin greps for); quotes, backslashes and
    /// control characters are still escaped, and this is YAML, never HTML.
    /// </summary>
    internal static string Quote(string value) => System.Text.Json.JsonSerializer.Serialize(value, QuoteOptions);
}
