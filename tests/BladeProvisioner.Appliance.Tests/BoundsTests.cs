using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using BladeProvisioner.Testing;
using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace BladeProvisioner.Appliance.Tests;

/// <summary>
/// Finding 10 of the security review through the real host: what unauthenticated boot traffic can create is bounded,
/// the lists it could grow are paged, and the retention sweep is scheduled.
/// </summary>
public sealed partial class BoundsTests(PostgresServer postgres)
{
    [GeneratedRegex("<(?<url>[^>]+)>;\\s*rel=\"next\"")]
    private static partial Regex NextLink();

    [Fact]
    public async Task AMacRotatingIpxeClientCannotPushTheBladesTablePastTheCeilingAndAKnownBladeStillBoots()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApplianceFactory(await postgres.CreateEmptyDatabaseAsync("bounds"), new Dictionary<string, string>
        {
            ["Enrolment:MaxUnclaimedBlades"] = "5",
            ["Enrolment:PerSourcePerMinute"] = "1000",
        });
        factory.UseKestrel(ApplianceProcess.FreeTcpPort());
        factory.StartServer();
        await factory.Services.WaitReadyAsync(ct);
        using var api = factory.CreateClient();
        using var ipxe = new HttpClient { BaseAddress = api.BaseAddress };

        using (var first = await ipxe.GetAsync(await TestBoot.IdentifyPathAsync(factory.Services, "52-54-00-d0-00-00", "platform=pcbios"), ct))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        var statuses = new List<HttpStatusCode>();
        string? refusal = null;
        for (int i = 1; i <= 40; i++)
        {
            using var r = await ipxe.GetAsync(await TestBoot.IdentifyPathAsync(factory.Services, $"52-54-00-d0-01-{i:x2}", "platform=pcbios"), ct);
            statuses.Add(r.StatusCode);
            if (r.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                refusal ??= await r.Content.ReadAsStringAsync(ct);
            }
        }

        Assert.Equal(4, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(36, statuses.Count(s => s == HttpStatusCode.ServiceUnavailable));
        Assert.StartsWith("#!ipxe", refusal, StringComparison.Ordinal);
        Assert.Contains("enrols no more new blades", refusal, StringComparison.Ordinal);
        using (var list = await api.GetAsync("/api/blades?limit=500", ct))
        {
            Assert.Equal("5", list.Headers.GetValues("X-Total-Count").Single());
        }

        // The blade it already knew still gets its menu.
        using (var known = await ipxe.GetAsync(await TestBoot.IdentifyPathAsync(factory.Services, "52-54-00-d0-00-00", "platform=pcbios"), ct))
        {
            Assert.Equal(HttpStatusCode.OK, known.StatusCode);
            Assert.Contains("menu", await known.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }

        // Counted one by one, reported once: one timeline event and one log line for the flood, no error per request.
        var events = await Eventually.UntilAsync(
            async () => (await api.GetFromJsonAsync<List<EventDto>>("/api/events?kind=enrolment.", JsonDefaults.Options, ct))!, es => es.Count > 0);
        Assert.Single(events);
        var metrics = await api.GetStringAsync("/metrics", ct);
        Assert.Matches("bp_enrolment_refused_total\\{[^}]*limit=\"cap\"[^}]*\\} 36", metrics);
        var log = factory.Log.Read();
        Assert.Equal(1, Regex.Count(log, "New MACs not enrolled"));
        Assert.DoesNotContain("Unhandled error", log, StringComparison.Ordinal);
        Assert.DoesNotContain("unhandled exception", log, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task BladesAndEventsComeInPagesWithAWorkingNextLinkAndBadPageParametersAre400()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApplianceFactory(await postgres.CreateEmptyDatabaseAsync("paging"));
        using var api = factory.CreateClient();
        for (int i = 0; i < 7; i++)
        {
            using var created = await api.PostAsJsonAsync("/api/blades", new { bootMac = $"52:54:00:d1:00:{i:x2}", chassis = "p1", slot = i.ToString("00", System.Globalization.CultureInfo.InvariantCulture) }, ct);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var seen = new List<long>();
        var pages = 0;
        for (string? url = "/api/blades?limit=3"; url is not null; pages++)
        {
            using var page = await api.GetAsync(url, ct);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("7", page.Headers.GetValues("X-Total-Count").Single());
            var blades = (await page.Content.ReadFromJsonAsync<List<BladeDto>>(JsonDefaults.Options, ct))!;
            Assert.InRange(blades.Count, 1, 3);
            seen.AddRange(blades.Select(b => b.Id));
            url = page.Headers.TryGetValues("Link", out var links) ? NextLink().Match(links.Single()).Groups["url"].Value : null;
        }

        Assert.Equal(3, pages);
        Assert.Equal(7, seen.Distinct().Count());

        // Without a limit a page is bounded too (100); within it, all seven.
        Assert.Equal(7, (await api.GetFromJsonAsync<List<BladeDto>>("/api/blades", JsonDefaults.Options, ct))!.Count);

        foreach (var bad in new[] { "/api/blades?limit=0", "/api/blades?limit=501", "/api/blades?limit=abc", "/api/blades?offset=-1", "/api/events?limit=0", "/api/events?limit=5001", "/api/events?beforeId=x" })
        {
            using var r = await api.GetAsync(bad, ct);
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Equal("INVALID_PAGE", (await r.Content.ReadFromJsonAsync<ProblemDto>(JsonDefaults.Options, ct))!.Code);
        }

        // The timeline pages by id: a full page links to the events before its last one.
        var all = await Eventually.UntilAsync(
            async () => (await api.GetFromJsonAsync<List<EventDto>>("/api/events?kind=blade.created", JsonDefaults.Options, ct))!, es => es.Count == 7);
        using var firstEvents = await api.GetAsync("/api/events?kind=blade.created&limit=4", ct);
        var next = NextLink().Match(firstEvents.Headers.GetValues("Link").Single()).Groups["url"].Value;
        var rest = (await api.GetFromJsonAsync<List<EventDto>>(next, JsonDefaults.Options, ct))!;
        Assert.Equal(all.Skip(4).Select(e => e.Id), rest.Select(e => e.Id));
    }

    [Fact]
    public async Task TheRetentionSweepIsARecurringJob()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApplianceFactory(await postgres.CreateEmptyDatabaseAsync("retention-job"));
        using var api = factory.CreateClient();
        await factory.Services.WaitReadyAsync(ct);
        var storage = factory.Services.GetRequiredService<JobStorage>();
        var ids = await Eventually.UntilAsync(
            () =>
            {
                using var connection = storage.GetConnection();
                return Task.FromResult(connection.GetRecurringJobs().Select(j => j.Id).ToList());
            },
            ids => ids.Contains("timeline.retention"));
        Assert.Contains("timeline.retention", ids);
    }
}
