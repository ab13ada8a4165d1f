using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Appliance.Tests;

/// <summary>Donor images for tests on a real appliance process: random bytes under one MBR partition, imported through the API.</summary>
internal static class TestDonors
{
    /// <summary>A raw donor of <paramref name="bytes"/>: a zero first MiB, then random data, one bootable Linux partition.</summary>
    public static string Write(string directory, long bytes)
    {
        var path = Path.Combine(directory, "donor.raw");
        using (var f = File.Create(path))
        {
            var buffer = new byte[1 << 20];
            f.Write(new byte[1 << 20]);
            for (long written = 1 << 20; written < bytes; written += buffer.Length)
            {
                RandomNumberGenerator.Fill(buffer);
                f.Write(buffer);
            }
        }

        var sfdisk = TestNetwork.Run("sh", ["-c", $"printf 'label: dos\\n,,L,*\\n' | sfdisk -q {path}"], TimeSpan.FromSeconds(30));
        Assert.True(sfdisk.ExitCode == 0, sfdisk.Stderr);
        return path;
    }

    /// <summary>Imports <paramref name="path"/> and waits for its import job to succeed; returns the image id.</summary>
    public static async Task<long> ImportAsync(ApplianceProcess appliance, string path, string name = "donor")
    {
        using var response = await appliance.Http.PostAsJsonAsync("api/images/import", new { name, operatingSystem = "Test", bootMode = "Both", path }, JsonDefaults.Options);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync() + "\n" + appliance.Log());
        var started = (await response.Content.ReadFromJsonAsync<ImportStartedDto>(JsonDefaults.Options))!;
        await TestJobs.WaitAsync(appliance, started.Job.Id, j => j.State == "Succeeded", TimeSpan.FromSeconds(180));
        return started.Image.Id;
    }

    /// <summary>SHA-256 of the bytes of <paramref name="path"/> from <paramref name="offset"/> to <paramref name="end"/>.</summary>
    public static string HashFrom(string path, long offset, long end)
    {
        using var f = File.OpenRead(path);
        f.Position = offset;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        for (long left = end - offset; left > 0;)
        {
            var n = f.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            Assert.True(n > 0, $"{path} ends before byte {end}");

            sha.AppendData(buffer, 0, n);
            left -= n;
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
