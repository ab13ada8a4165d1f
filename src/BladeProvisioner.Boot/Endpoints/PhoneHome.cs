using System.Security.Cryptography;
using System.Text.Json;
using BladeProvisioner.Core.Blades;
using BladeProvisioner.Core.CloudInit;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Data;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Boot.Endpoints;

/// <summary>
/// cloud-init's phone_home post from a clone's OS (the seed's vendor-data names <c>/cloud-init/phone-home/&lt;token&gt;</c>
/// on the boot API): the token finds the exported volume, the posted instance-id must be that volume's, and then
/// <c>blade.os-up</c> goes on the blade's timeline once per boot, with the posted host keys' fingerprints and whether they
/// are the ones the clone was given. Anything else is 404 with nothing recorded and a counter up; the token is never logged.
/// </summary>
public sealed class PhoneHome(IDbContextFactory<ApplianceDbContext> contexts, BootMetrics metrics, TimeProvider time)
{
    public const string OsUp = BladeBootReader.OsUp;

    private static readonly string[] BootStarts = [BladeBootReader.Restart, BladeBootReader.Restarted, BladeBootReader.Sanboot];

    public async Task<IResult> PostAsync(HttpContext http, string token)
    {
        ArgumentNullException.ThrowIfNull(http);
        var ct = http.RequestAborted;
        if (!PhoneHomeToken.IsWellFormed(token))
        {
            return Refused("bad-token");
        }

        var hash = PhoneHomeToken.Hash(token);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var volume = await db.BootVolumes.AsNoTracking().SingleOrDefaultAsync(v => v.PhoneHomeTokenHash == hash && v.State == BootVolumeState.Exported, ct);
        if (volume is null)
        {
            return Refused("bad-token");
        }

        var form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(ct) : null;
        string? Field(string name) => form is not null && form.TryGetValue(name, out var v) ? v.ToString() : null;
        var instanceId = Field("instance_id");
        if (!string.Equals(instanceId, volume.InstanceId, StringComparison.Ordinal))
        {
            return Refused("stale-instance");
        }

        var bootStart = await db.Events.AsNoTracking()
            .Where(e => e.BladeId == volume.BladeId && BootStarts.Contains(e.Kind))
            .MaxAsync(e => (DateTimeOffset?)e.At, ct) ?? volume.CreatedAt;
        if (await db.Events.AnyAsync(e => e.BladeId == volume.BladeId && e.BootVolumeId == volume.Id && e.Kind == OsUp && e.At >= bootStart, ct))
        {
            // This boot's OS-up is on the timeline already (cloud-init retried, or the post was replayed).
            return Results.Ok();
        }

        var posted = new[] { "pub_key_ed25519", "pub_key_ecdsa", "pub_key_rsa" }
            .Select(Field).Where(k => !string.IsNullOrWhiteSpace(k)).Select(k => Fingerprint(k!)).OfType<string>().ToList();
        var expected = await ExpectedKeysAsync(db, volume.Id, ct);
        bool? match = expected.Count == 0 || posted.Count == 0 ? null : posted.All(expected.Contains);
        var hostname = Field("hostname");
        var remote = BootConversation.Remote(http);
        db.Events.Add(new Event
        {
            At = time.GetUtcNow(),
            Actor = "cloud-init",
            Kind = OsUp,
            Summary = $"OS up: cloud-init of {hostname ?? "?"} phoned home (instance {instanceId}); host keys {(match switch { true => "match the clone's", false => "differ from the clone's", _ => "not compared" })}",
            BladeId = volume.BladeId,
            BootVolumeId = volume.Id,
            Details = JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["source"] = "cloud-init",
                ["instanceId"] = instanceId,
                ["hostname"] = hostname,
                ["fqdn"] = Field("fqdn"),
                ["address"] = remote?.ToString(),
                ["sshHostKeys"] = posted,
                ["sshHostKeysMatch"] = match,
            }),
        });
        await db.SaveChangesAsync(ct);
        return Results.Ok();
    }

    /// <summary>OpenSSH's fingerprint of a public key line: "ED25519 SHA256:…" (the form volume.personalised names them in).</summary>
    internal static string? Fingerprint(string publicKeyLine)
    {
        var parts = publicKeyLine.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2)
        {
            return null;
        }

        var type = parts[0] switch
        {
            "ssh-ed25519" => "ED25519",
            "ssh-rsa" => "RSA",
            var t when t.StartsWith("ecdsa-sha2-", StringComparison.Ordinal) => "ECDSA",
            _ => null,
        };
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(parts[1]);
        }
        catch (FormatException)
        {
            return null;
        }

        return type is null ? null : $"{type} SHA256:{Convert.ToBase64String(SHA256.HashData(bytes)).TrimEnd('=')}";
    }

    private static async Task<HashSet<string>> ExpectedKeysAsync(ApplianceDbContext db, long volumeId, CancellationToken ct)
    {
        var details = await db.Events.AsNoTracking()
            .Where(e => e.BootVolumeId == volumeId && e.Kind == "volume.personalised")
            .OrderByDescending(e => e.At).Select(e => e.Details).FirstOrDefaultAsync(ct);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        if (details is null)
        {
            return keys;
        }

        try
        {
            using var doc = JsonDocument.Parse(details);
            if (doc.RootElement.TryGetProperty("sshHostKeys", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var k in list.EnumerateArray())
                {
                    if (k.GetString() is { } s)
                    {
                        keys.Add(s);
                    }
                }
            }
        }
        catch (JsonException)
        {
        }

        return keys;
    }

    private IResult Refused(string reason)
    {
        metrics.PhoneHomeRefused(reason);
        return Results.NotFound();
    }
}
