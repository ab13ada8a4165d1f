using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Web.Tests.Uploads;

/// <summary>
/// A large upload through the API to the appliance as a real process: the connection is cut halfway, the upload
/// resumes from the offset HEAD reports, the appliance's memory stays flat, and the imported image has the right hash.
/// BP_UPLOAD_BYTES sets the size (default 256 MiB; docs/performance.md records a 4 GiB run).
/// </summary>
public sealed class UploadResumeTests(PostgresServer postgres)
{
    private const long MemoryBudget = 100L << 20;

    [Fact]
    public async Task UploadCutHalfwayResumesWithFlatMemoryAndTheRightHash()
    {
        var ct = TestContext.Current.CancellationToken;
        var length = long.TryParse(Environment.GetEnvironmentVariable("BP_UPLOAD_BYTES"), CultureInfo.InvariantCulture, out var b) ? b : 256L << 20;
        using var dir = new TempDirectory("bp-upload");
        await using var appliance = new ApplianceProcess(dir.Path, await postgres.CreateEmptyDatabaseAsync("upload"), "--Appliance:NodeName", "upload-test");
        await appliance.StartAsync();
        var pid = appliance.Pid!.Value;
        using var http = appliance.ManagementClient(timeout: Timeout.InfiniteTimeSpan);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", appliance.ApiToken);

        var create = await http.PostAsJsonAsync("api/uploads", new { name = "big-upload", operatingSystem = "Pattern OS", bootMode = "Both", length }, ct);
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var id = (await create.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetString()!;
        await Task.Delay(1000, ct); // let start-up settle before the baseline
        var baseline = Rss(pid);
        using var sampling = new CancellationTokenSource();
        var peak = SamplePeakAsync(pid, sampling.Token);
        var started = DateTime.UtcNow;

        // First attempt: the client gives up halfway through the body, as a dropped connection would.
        using (var cut = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            var content = new StreamContent(new PatternStream(0, length, length / 2, cut), 1 << 20);
            await Assert.ThrowsAnyAsync<Exception>(() => PatchAsync(http, id, 0, content, cut.Token));
        }

        var resumeAt = await OffsetAsync(http, id, ct);
        Assert.InRange(resumeAt, 1, length / 2);

        // Resume from the server's offset with the rest.
        var rest = new StreamContent(new PatternStream(resumeAt, length), 1 << 20);
        using (var second = await PatchAsync(http, id, resumeAt, rest, ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, second.StatusCode);
        }

        var uploadSeconds = (DateTime.UtcNow - started).TotalSeconds;
        Assert.Equal(length, await OffsetAsync(http, id, ct));
        using var complete = await http.PostAsync($"api/uploads/{id}/complete", null, ct);
        Assert.Equal(HttpStatusCode.Accepted, complete.StatusCode);
        var finished = await complete.Content.ReadFromJsonAsync<JsonElement>(ct);
        await sampling.CancelAsync();
        var peakRss = await peak;
        var expected = ExpectedSha256(length);
        Assert.Equal(expected, finished.GetProperty("uploadSha256").GetString());

        var imageId = finished.GetProperty("image").GetProperty("id").GetInt64();
        var deadline = DateTime.UtcNow.AddMinutes(10);
        JsonElement image;
        do
        {
            await Task.Delay(500, ct);
            image = await http.GetFromJsonAsync<JsonElement>($"api/images/{imageId}", ct);
        }
        while (image.GetProperty("state").GetString() == "Importing" && DateTime.UtcNow < deadline);

        Assert.Equal("Active", image.GetProperty("state").GetString());
        Assert.Equal(expected, image.GetProperty("sha256").GetString());
        var growth = peakRss - baseline;
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"UPLOAD {length >> 20} MiB: cut at {length / 2 >> 20} MiB, resumed from {resumeAt >> 20} MiB; {uploadSeconds:0.0} s; " +
            $"RSS baseline {baseline >> 20} MiB, peak {peakRss >> 20} MiB, growth {growth >> 20} MiB");
        Console.WriteLine($"UPLOAD {length} bytes: resumed from {resumeAt}; {uploadSeconds:0.0} s; RSS baseline {baseline >> 20} MiB, peak {peakRss >> 20} MiB, growth {growth >> 20} MiB");
        Assert.True(growth < MemoryBudget, $"the appliance grew by {growth >> 20} MiB during the upload");
    }

    private static async Task<HttpResponseMessage> PatchAsync(HttpClient http, string id, long offset, HttpContent content, CancellationToken ct)
    {
        content.Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"api/uploads/{id}") { Content = content };
        request.Headers.Add("Upload-Offset", offset.ToString(CultureInfo.InvariantCulture));
        return await http.SendAsync(request, ct);
    }

    private static async Task<long> OffsetAsync(HttpClient http, string id, CancellationToken ct)
    {
        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"api/uploads/{id}"), ct);
        head.EnsureSuccessStatusCode();
        return long.Parse(head.Headers.GetValues("Upload-Offset").Single(), CultureInfo.InvariantCulture);
    }

    private static string ExpectedSha256(long length)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        for (long pos = 0; pos < length; pos += buffer.Length)
        {
            var n = (int)Math.Min(buffer.Length, length - pos);
            PatternStream.Fill(pos, buffer.AsSpan(0, n));
            hash.AppendData(buffer, 0, n);
        }

        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }

    private static async Task<long> SamplePeakAsync(int pid, CancellationToken ct)
    {
        long peak = 0;
        while (!ct.IsCancellationRequested)
        {
            peak = Math.Max(peak, Rss(pid));
            try
            {
                await Task.Delay(100, ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return peak;
    }

    /// <summary>Resident set size from /proc/&lt;pid&gt;/status, in bytes.</summary>
    private static long Rss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
