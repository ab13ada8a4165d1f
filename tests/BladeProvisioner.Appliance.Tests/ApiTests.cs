using System.Net;
using System.Net.Http.Json;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Appliance.Tests;

/// <summary>The REST API through the real host: validation gives 400 with a code and changes nothing; conflicts 409.</summary>
public sealed class ApiTests(PostgresServer postgres)
{
    [Fact]
    public async Task CreatesABladeWithGeneratedNames()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        var created = await client.PostAsJsonAsync("/api/blades", new { bootMac = "52-54-00-AA-00-01", chassis = "c1", slot = "3" }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var blade = (await created.Content.ReadFromJsonAsync<BladeDto>(JsonDefaults.Options, TestContext.Current.CancellationToken))!;
        Assert.Equal("52:54:00:aa:00:01", blade.BootMac);
        Assert.Equal($"blade-{blade.Id}", blade.Hostname);
        Assert.EndsWith(":initiator.525400aa0001", blade.InitiatorIqn, StringComparison.Ordinal);
        Assert.Equal("Discovered", blade.State);
        Assert.Equal(created.Headers.Location!.ToString(), $"/api/blades/{blade.Id}");
    }

    [Theory]
    [InlineData("""{"bootMac":"zz"}""", "INVALID_MAC")]
    [InlineData("""{"bootMac":"52:54:00:aa:00:02","hostname":"Not Valid"}""", "VALIDATION_FAILED")]
    [InlineData("""{"bootMac":"52:54:00:aa:00:02","assignedImageId":999}""", "IMAGE_NOT_FOUND")]
    [InlineData("""{"bootMac": """, "VALIDATION_FAILED")]
    public async Task BadBladeInputIsRefusedAndChangesNothing(string json, string code)
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        using var response = await client.PostAsync("/api/blades", new StringContent(json, System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(code, (await ProblemAsync(response)).Code);
        Assert.Empty((await client.GetFromJsonAsync<List<BladeDto>>("/api/blades", JsonDefaults.Options, TestContext.Current.CancellationToken))!);
    }

    [Fact]
    public async Task DuplicateMacIsAConflict()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        (await client.PostAsJsonAsync("/api/blades", new { bootMac = "52:54:00:aa:00:03" }, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        using var again = await client.PostAsJsonAsync("/api/blades", new { bootMac = "52:54:00:AA:00:03" }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("DUPLICATE_MAC", (await ProblemAsync(again)).Code);
    }

    [Theory]
    [InlineData("/api/blades/424242", "BLADE_NOT_FOUND")]
    [InlineData("/api/images/424242", "IMAGE_NOT_FOUND")]
    [InlineData("/api/volumes/424242", "VOLUME_NOT_FOUND")]
    [InlineData("/api/jobs/424242", "JOB_NOT_FOUND")]
    [InlineData("/api/nothing-here", "NOT_FOUND")]
    public async Task UnknownThingsAre404WithACode(string path, string code)
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        using var response = await client.GetAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(code, (await ProblemAsync(response)).Code);
    }

    [Fact]
    public async Task ImportOutsideTheImportDirectoriesIsRefused()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        using var response = await client.PostAsJsonAsync("/api/images/import", new { name = "etc", operatingSystem = "x", bootMode = "Both", path = "/etc/passwd" }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("IMAGE_SOURCE_MISSING", (await ProblemAsync(response)).Code);
        Assert.Empty((await client.GetFromJsonAsync<List<ImageDto>>("/api/images", JsonDefaults.Options, TestContext.Current.CancellationToken))!);
    }

    [Theory]
    [InlineData("Bad Name")]
    [InlineData("-leading")]
    [InlineData("")]
    public async Task ImageNamesAreValidated(string name)
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        using var response = await client.PostAsJsonAsync("/api/images/import", new { name, operatingSystem = "x", bootMode = "Both", path = "/tmp/x" }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("VALIDATION_FAILED", (await ProblemAsync(response)).Code);
    }

    [Fact]
    public async Task ImportedImageBecomesActiveAndFollowsItsLifecycle()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var path = Path.Combine(app.Incoming, "tiny.raw");
        await File.WriteAllBytesAsync(path, Enumerable.Range(0, 1 << 20).Select(i => (byte)i).ToArray(), ct);
        using var started = await client.PostAsJsonAsync("/api/images/import", new { name = "tiny", operatingSystem = "Tiny", bootMode = "Bios", path }, ct);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var s = (await started.Content.ReadFromJsonAsync<ImportStartedDto>(JsonDefaults.Options, ct))!;
        ImageDto image;
        var deadline = DateTime.UtcNow.AddSeconds(120);
        do
        {
            await Task.Delay(100, ct);
            image = (await client.GetFromJsonAsync<ImageDto>($"/api/images/{s.Image.Id}", JsonDefaults.Options, ct))!;
        }
        while (image.State == "Importing" && DateTime.UtcNow < deadline);

        Assert.Equal("Active", image.State);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(path, ct))), image.Sha256);

        // Deleting an active image is refused; retiring it first makes it deletable.
        using (var del = await client.DeleteAsync($"/api/images/{image.Id}", ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, del.StatusCode);
            Assert.Equal("IMAGE_ILLEGAL_STATE", (await ProblemAsync(del)).Code);
        }

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/images/{image.Id}/pause", null, ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/images/{image.Id}/retire", null, ct)).StatusCode);
        using (var back = await client.PostAsync($"/api/images/{image.Id}/activate", null, ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, back.StatusCode);
        }

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/images/{image.Id}", ct)).StatusCode);
        Assert.False(File.Exists(Path.Combine(app.DataDirectory, "images", "tiny", "v1.raw")));

        var events = await Eventually.UntilAsync(
            async () => (await client.GetFromJsonAsync<List<EventDto>>($"/api/events?imageId={image.Id}", JsonDefaults.Options, ct))!,
            es => es.Any(e => e.Kind == "image.deleted"));
        Assert.Contains(events, e => e.Kind == "image.deleted");
        Assert.Contains(events, e => e.Kind == "image.state" && e.Summary.Contains("Retired", StringComparison.Ordinal));
    }

    [Fact]
    public async Task BmcPasswordIsStoredEncryptedAndNeverReturned()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var blade = (await (await client.PostAsJsonAsync("/api/blades", new { bootMac = "52:54:00:aa:00:09" }, ct)).Content.ReadFromJsonAsync<BladeDto>(JsonDefaults.Options, ct))!;
        using var patched = await client.PatchAsJsonAsync($"/api/blades/{blade.Id}", new { powerDriver = "Ipmi", bmcAddress = "10.99.0.50", bmcUsername = "admin", bmcPassword = "s3cret-bmc-pass" }, ct);
        var body = await patched.Content.ReadAsStringAsync(ct);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.DoesNotContain("s3cret-bmc-pass", body, StringComparison.Ordinal);
        Assert.True((await patched.Content.ReadFromJsonAsync<BladeDto>(JsonDefaults.Options, ct))!.HasBmcPassword);

        await using var conn = new Npgsql.NpgsqlConnection(app.ConnectionString);
        await conn.OpenAsync(ct);
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT bmc_secret_protected FROM blades WHERE id = $1", conn) { Parameters = { new() { Value = blade.Id } } };
        var stored = (string)(await cmd.ExecuteScalarAsync(ct))!;
        Assert.DoesNotContain("s3cret", stored, StringComparison.Ordinal);
        Assert.True(stored.Length > 40);
    }

    [Fact]
    public async Task HealthMetricsAndOpenApiAreServed()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready", ct)).StatusCode);
        var metrics = await client.GetStringAsync("/metrics", ct);
        Assert.Matches(new System.Text.RegularExpressions.Regex(@"^bp_ready\{[^}]*\} 1$", System.Text.RegularExpressions.RegexOptions.Multiline), metrics);
        var openapi = await client.GetStringAsync("/openapi/v1.json", ct);
        Assert.Contains("/api/blades", openapi, StringComparison.Ordinal);
        Assert.Contains("/api/jobs/{id}/cancel", openapi, StringComparison.Ordinal);
    }

    private async Task<StartedApp> StartAsync()
    {
        var cs = await postgres.CreateEmptyDatabaseAsync("api");
        var factory = new ApplianceFactory(cs);
        await factory.Services.WaitReadyAsync(TestContext.Current.CancellationToken); // start: migrations run, readiness opens
        return new StartedApp(factory, cs);
    }

    private static async Task<ProblemDto> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<ProblemDto>(JsonDefaults.Options))!;
    }

    private sealed class StartedApp(ApplianceFactory factory, string connectionString) : IAsyncDisposable
    {
        public string ConnectionString => connectionString;
        public string Incoming => factory.Incoming;
        public string DataDirectory => factory.DataDirectory;

        public HttpClient CreateClient() => factory.CreateClient();

        public ValueTask DisposeAsync() => factory.DisposeAsync();
    }
}
