using System.Net;
using System.Net.Http.Json;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Appliance.Tests;

internal static class TestImages
{
    /// <summary>Imports a 16 MiB donor with one MBR partition and waits until it is Active.</summary>
    public static async Task<long> ImportAsync(HttpClient api, ApplianceFactory factory, string name, string bootMode, CancellationToken ct)
    {
        var path = Path.Combine(factory.Incoming, name + ".raw");
        await using (var f = File.Create(path))
        {
            f.SetLength(16 << 20);
        }

        var sfdisk = TestNetwork.Run("sh", ["-c", $"printf 'label: dos\\n,,L,*\\n' | sfdisk -q {path}"], TimeSpan.FromSeconds(30));
        Assert.True(sfdisk.ExitCode == 0, sfdisk.Stderr);
        using var response = await api.PostAsJsonAsync("/api/images/import", new { name, operatingSystem = "Test OS", bootMode, path }, ct);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync(ct) + "\n" + factory.Log.Read());
        var started = (await response.Content.ReadFromJsonAsync<ImportStartedDto>(JsonDefaults.Options, ct))!;
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            var image = await api.GetFromJsonAsync<ImageDto>($"/api/images/{started.Image.Id}", JsonDefaults.Options, ct);
            if (image!.State == "Active")
            {
                return image.Id;
            }

            await Task.Delay(100, ct);
        }

        throw new TimeoutException($"Image {name} did not become Active.");
    }
}
