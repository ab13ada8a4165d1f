using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using BladeProvisioner.Testing;
using BladeProvisioner.Web.Tests.Support;

namespace BladeProvisioner.Web.Tests.Images;

/// <summary>
/// An admin imports a qcow2 whose external data file is a host file: the API refuses it with a stable code and no
/// image, version, job or file comes into being.
/// </summary>
public sealed class HostileImageImportTests(PostgresServer postgres)
{
    [Fact]
    public async Task ImportOfAnImageReadingAHostFileIsRefusedAndCreatesNothing()
    {
        Prerequisites.RequireProgram("/usr/bin/qemu-img");
        var ct = TestContext.Current.CancellationToken;
        using var app = new WebFactory(await postgres.CreateEmptyDatabaseAsync("hostile"));
        await app.Services.WaitReadyAsync(ct);
        using var admin = app.WithToken(app.AdminToken);
        var incoming = Path.Combine(app.DataDirectory, "incoming");
        Directory.CreateDirectory(incoming);
        using var outside = new TempDirectory("bp-host");
        var host = Path.Combine(outside.Path, "host.raw");
        await File.WriteAllBytesAsync(host, new byte[1 << 20], ct);
        var image = Path.Combine(incoming, "df.qcow2");
        using (var create = Process.Start("qemu-img", ["create", "-f", "qcow2", "-o", $"data_file={host},data_file_raw=on", image, "1M"]))
        {
            await create.WaitForExitAsync(ct);
            Assert.Equal(0, create.ExitCode);
        }

        using var response = await admin.PostAsJsonAsync("/api/images/import", new { name = "hostile-os", operatingSystem = "Hostile", bootMode = "Both", path = image }, ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal("IMAGE_EXTERNAL_REFERENCE", problem.GetProperty("code").GetString());
        var images = await admin.GetFromJsonAsync<JsonElement>("/api/images", ct);
        Assert.DoesNotContain("hostile-os", images.GetRawText(), StringComparison.Ordinal);
        var jobs = await admin.GetFromJsonAsync<JsonElement>("/api/jobs", ct);
        Assert.DoesNotContain("image.import", jobs.GetRawText(), StringComparison.Ordinal);
        var store = Path.Combine(app.DataDirectory, "images");
        Assert.True(!Directory.Exists(store) || Directory.GetFileSystemEntries(store, "*", SearchOption.AllDirectories).Length == 0, "the image store is not empty");
    }

    /// <summary>The hardened path still imports a self-contained qcow2: probed, converted with -f under limits, hashed.</summary>
    [Fact]
    public async Task ASelfContainedQcow2IsImportedAndConvertedToTheSameBytes()
    {
        Prerequisites.RequireProgram("/usr/bin/qemu-img");
        var ct = TestContext.Current.CancellationToken;
        using var app = new WebFactory(await postgres.CreateEmptyDatabaseAsync("qcowok"));
        await app.Services.WaitReadyAsync(ct);
        using var admin = app.WithToken(app.AdminToken);
        var incoming = Path.Combine(app.DataDirectory, "incoming");
        Directory.CreateDirectory(incoming);
        using var work = new TempDirectory("bp-qcow");
        var raw = Path.Combine(work.Path, "disk.raw");
        var bytes = new byte[4 << 20];
        new Random(13).NextBytes(bytes.AsSpan(0, 1 << 20));
        await File.WriteAllBytesAsync(raw, bytes, ct);
        var image = Path.Combine(incoming, "disk.qcow2");
        using (var convert = Process.Start("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", raw, image]))
        {
            await convert.WaitForExitAsync(ct);
            Assert.Equal(0, convert.ExitCode);
        }

        using var response = await admin.PostAsJsonAsync("/api/images/import", new { name = "qcow-os", operatingSystem = "Qcow", bootMode = "Both", path = image }, ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("image").GetProperty("id").GetInt64();
        var imported = await Eventually.UntilAsync(
            () => admin.GetFromJsonAsync<JsonElement>($"/api/images/{id}", ct),
            i => i.GetProperty("state").GetString() != "Importing",
            TimeSpan.FromMinutes(2));

        Assert.True(imported.GetProperty("state").GetString() == "Active", $"{imported}\n{app.Log.Read()}");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), imported.GetProperty("sha256").GetString());
    }
}
