using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using BladeProvisioner.Core.Blades;
using BladeProvisioner.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace BladeProvisioner.Appliance.Tests;

/// <summary>
/// Zero-touch for blades the appliance has never met: a rule by SMBIOS UUID or by chassis slot sends a new blade
/// straight to cloning, without the menu; bad rules are refused and change nothing.
/// </summary>
public sealed class ZeroTouchTests(PostgresServer postgres)
{
    [Fact]
    public async Task RulesAreValidatedUniqueAndKeepTheirImageFromBeingDeleted()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApplianceFactory(await postgres.CreateEmptyDatabaseAsync("zt-api"));
        await factory.Services.WaitReadyAsync(ct);
        using var api = factory.CreateClient();
        var image = await TestImages.ImportAsync(api, factory, "zt-image", "Both", ct);

        (object Body, HttpStatusCode Status, string Code)[] refused =
        [
            (new { imageId = image }, HttpStatusCode.BadRequest, "VALIDATION_FAILED"),
            (new { smbiosUuid = "4c4c4544-0042-3510-8051-b2c04f4e3732", chassis = "rack1", slot = "3", imageId = image }, HttpStatusCode.BadRequest, "VALIDATION_FAILED"),
            (new { chassis = "rack1", imageId = image }, HttpStatusCode.BadRequest, "VALIDATION_FAILED"),
            (new { smbiosUuid = "not-a-uuid", imageId = image }, HttpStatusCode.BadRequest, "VALIDATION_FAILED"),
            (new { smbiosUuid = "00000000-0000-0000-0000-000000000000", imageId = image }, HttpStatusCode.BadRequest, "VALIDATION_FAILED"),
            (new { smbiosUuid = "ffffffff-ffff-ffff-ffff-ffffffffffff", imageId = image }, HttpStatusCode.BadRequest, "VALIDATION_FAILED"),
            (new { chassis = new string('c', 65), slot = "1", imageId = image }, HttpStatusCode.BadRequest, "VALIDATION_FAILED"),
            (new { chassis = "rack1", slot = "3" }, HttpStatusCode.BadRequest, "VALIDATION_FAILED"),
            (new { chassis = "rack1", slot = "3", imageId = 987654 }, HttpStatusCode.BadRequest, "IMAGE_NOT_FOUND"),
        ];
        foreach (var (body, status, code) in refused)
        {
            using var response = await api.PostAsJsonAsync("/api/zero-touch", body, ct);
            Assert.True(response.StatusCode == status, $"{JsonSerializer.Serialize(body)} → {(int)response.StatusCode}");
            Assert.Equal(code, (await ProblemAsync(response, ct)).Code);
        }

        Assert.Empty(await RulesAsync(api, ct));

        using (var created = await api.PostAsJsonAsync("/api/zero-touch", new { chassis = " rack1 ", slot = "3", imageId = image }, ct))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var twice = await api.PostAsJsonAsync("/api/zero-touch", new { chassis = "rack1", slot = "3", imageId = image }, ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
            Assert.Equal("ZERO_TOUCH_RULE_EXISTS", (await ProblemAsync(twice, ct)).Code);
        }

        var rule = Assert.Single(await RulesAsync(api, ct));
        Assert.Equal("rack1", rule.GetProperty("chassis").GetString());
        Assert.Equal(image, rule.GetProperty("imageId").GetInt64());

        // A retired image a rule still names cannot be deleted; without the rule it can.
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsync($"/api/images/{image}/retire", null, ct)).StatusCode);
        using (var inUse = await api.DeleteAsync($"/api/images/{image}", ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, inUse.StatusCode);
            Assert.Equal("IMAGE_IN_USE", (await ProblemAsync(inUse, ct)).Code);
        }

        using (var retired = await api.PostAsJsonAsync("/api/zero-touch", new { chassis = "rack1", slot = "4", imageId = image }, ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, retired.StatusCode);
            Assert.Equal("IMAGE_NOT_ACTIVE", (await ProblemAsync(retired, ct)).Code);
        }

        var id = rule.GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync($"/api/zero-touch/{id}", ct)).StatusCode);
        using (var gone = await api.DeleteAsync($"/api/zero-touch/{id}", ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
            Assert.Equal("ZERO_TOUCH_RULE_NOT_FOUND", (await ProblemAsync(gone, ct)).Code);
        }

        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync($"/api/images/{image}", ct)).StatusCode);
    }

    [Fact]
    public async Task ANewBladeInARuledSlotOrWithARuledUuidSkipsTheMenuOthersGetIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new ApplianceFactory(await postgres.CreateEmptyDatabaseAsync("zt-boot"));

        // Real sockets: boot tickets are bound to the caller's address.
        factory.UseKestrel(ApplianceProcess.FreeTcpPort());
        factory.StartServer();
        await factory.Services.WaitReadyAsync(ct);
        using var api = factory.CreateClient();
        using var ipxe = factory.CreateClient();
        var bySlot = await TestImages.ImportAsync(api, factory, "slot-image", "Both", ct);
        var byUuid = await TestImages.ImportAsync(api, factory, "uuid-image", "Both", ct);
        const string Uuid = "4c4c4544-0042-3510-8051-b2c04f4e3732";
        (await api.PostAsJsonAsync("/api/zero-touch", new { chassis = "enc7", slot = "12", imageId = bySlot }, ct)).EnsureSuccessStatusCode();
        (await api.PostAsJsonAsync("/api/zero-touch", new { smbiosUuid = Uuid, imageId = byUuid }, ct)).EnsureSuccessStatusCode();

        // The blade in enclosure 7 slot 12 was first seen by DHCP through the relay (option 82), as in a chassis.
        var directory = factory.Services.GetRequiredService<IBladeDirectory>();
        await directory.SightAsync(new BladeSighting("52:54:00:7a:00:12") { RelayRemoteId = "enc7", RelayCircuitId = "12" }, ct);
        var preview = await api.GetStringAsync("/api/boot/preview?mac=52:54:00:7a:00:12&platform=Bios", ct);
        Assert.Contains("zero-touch rule", preview, StringComparison.Ordinal);
        Assert.Contains("slot-image v1", preview, StringComparison.Ordinal);

        var slotBlade = await ScriptAsync(ipxe, await TestBoot.IdentifyPathAsync(factory.Services, "52-54-00-7a-00-12", "uuid=&platform=pcbios&buildarch=i386"), ct);
        Assert.Contains("/boot/status?blade=", slotBlade, StringComparison.Ordinal);
        Assert.DoesNotContain("choose ", slotBlade, StringComparison.Ordinal);

        // Another blade reports the ruled SMBIOS UUID from its firmware.
        var uuidBlade = await ScriptAsync(ipxe, await TestBoot.IdentifyPathAsync(factory.Services, "52-54-00-7a-00-99", $"uuid={Uuid}&platform=efi&buildarch=x86_64"), ct);
        Assert.Contains("/boot/status?blade=", uuidBlade, StringComparison.Ordinal);

        // A second MAC claiming the same UUID (a cloned board, or a host inventing MACs) gets the menu, not a clone.
        var sameUuid = await ScriptAsync(ipxe, await TestBoot.IdentifyPathAsync(factory.Services, "52-54-00-7a-00-98", $"uuid={Uuid}&platform=efi&buildarch=x86_64"), ct);
        Assert.Contains("choose ", sameUuid, StringComparison.Ordinal);
        Assert.Contains("belongs to blade", sameUuid, StringComparison.Ordinal);

        // A blade no rule covers gets the menu, with both images in it.
        var other = await ScriptAsync(ipxe, await TestBoot.IdentifyPathAsync(factory.Services, "52-54-00-7a-00-13", "uuid=&platform=pcbios&buildarch=i386"), ct);
        Assert.Contains("choose ", other, StringComparison.Ordinal);
        Assert.Contains("slot-image", other, StringComparison.Ordinal);

        var blades = await api.GetFromJsonAsync<List<BladeDto>>("/api/blades", JsonDefaults.Options, ct);
        // Cloning started (a 16 MiB clone may already have finished).
        Assert.Contains(blades!.Single(b => b.BootMac == "52:54:00:7a:00:12").State, (string[])["Provisioning", "Provisioned"]);
        Assert.Contains(blades!.Single(b => b.BootMac == "52:54:00:7a:00:99").State, (string[])["Provisioning", "Provisioned"]);
        Assert.Equal("Discovered", blades!.Single(b => b.BootMac == "52:54:00:7a:00:13").State);
        Assert.Equal("Discovered", blades!.Single(b => b.BootMac == "52:54:00:7a:00:98").State);
        var volumes = await api.GetFromJsonAsync<List<JsonElement>>("/api/volumes", JsonDefaults.Options, ct);
        Assert.Contains(volumes!, v => v.GetProperty("donorImageId").GetInt64() == bySlot);
        Assert.Contains(volumes!, v => v.GetProperty("donorImageId").GetInt64() == byUuid);

        var slotBladeId = blades!.Single(b => b.BootMac == "52:54:00:7a:00:12").Id;
        var events = await Eventually.UntilAsync(
            async () => (await api.GetFromJsonAsync<List<EventDto>>($"/api/events?bladeId={slotBladeId}", JsonDefaults.Options, ct))!,
            es => es.Any(e => e.Kind == "boot.chosen"));
        Assert.Contains(events, e => e.Kind == "boot.chosen" && e.Summary.Contains("zero-touch rule", StringComparison.Ordinal)
                                     && e.Summary.Contains("chassis enc7 slot 12", StringComparison.Ordinal));
    }

    private static async Task<List<JsonElement>> RulesAsync(HttpClient api, CancellationToken ct) =>
        (await api.GetFromJsonAsync<List<JsonElement>>("/api/zero-touch", JsonDefaults.Options, ct))!;

    private static async Task<ProblemDto> ProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<ProblemDto>(JsonDefaults.Options, ct))!;
    }

    private static async Task<string> ScriptAsync(HttpClient ipxe, string path, CancellationToken ct)
    {
        using var response = await ipxe.GetAsync(path, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode}\n{body}");
        return body;
    }
}
