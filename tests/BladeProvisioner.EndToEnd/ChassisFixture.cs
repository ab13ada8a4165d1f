using System.Text.Json.Nodes;

namespace BladeProvisioner.EndToEnd;

/// <summary>
/// One virtual chassis for all scenarios: lab network, the appliance (built by ./bp test beforehand), its tgtd, the test
/// donor imported as two versions. Torn down (lab down) when the scenarios end, whatever happened.
/// </summary>
public class ChassisFixture : IAsyncLifetime
{
    private ApplianceApi? _api;
    private string? _missing;
    private Exception? _startFailure;

    public ChassisFixture()
        : this(Lab.Chassis(Lab.FindRepository()))
    {
    }

    private protected ChassisFixture(Lab lab) => Lab = lab;

    internal Lab Lab { get; }

    internal ApplianceApi Api => _api ?? throw new InvalidOperationException("the lab is not up");

    internal long ImageV1 { get; private set; }

    internal long ImageV2 { get; private set; }

    internal string ApplianceLog { get; private set; } = string.Empty;

    /// <summary>Blades provisioned by one scenario and used by a later one (see <see cref="ChassisScenarios"/>).</summary>
    internal Dictionary<string, Task<ProvisionedBlade>> Shared { get; } = [];

    public async ValueTask InitializeAsync()
    {
        _missing = LabPrerequisites.Missing(Lab.Repository);
        if (_missing is not null)
        {
            return;
        }

        var ct = TestContext.Current.CancellationToken;
        try
        {
            await Lab.RunAsync(TimeSpan.FromMinutes(2), ct, "down");   // leftovers of a run killed hard
            var env = await Lab.RunAsync(TimeSpan.FromMinutes(6), ct, "up", "--no-build");
            _api = new ApplianceApi(env["url"], (await File.ReadAllTextAsync(env["token_file"], ct)).Trim(), env["cert_file"]);
            ImageV1 = long.Parse(env["image_v1"], System.Globalization.CultureInfo.InvariantCulture);
            ImageV2 = long.Parse(env["image_v2"], System.Globalization.CultureInfo.InvariantCulture);
            ApplianceLog = env["log"];
            await StartSiteServicesAsync(ct);
        }
        catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException or IOException or HttpRequestException)
        {
            _startFailure = ex;
        }
    }

    /// <summary>Every scenario starts here: fails (or, outside CI with BP_ALLOW_SKIP=1, skips) naming what is missing.</summary>
    internal void RequireUp()
    {
        if (_missing is not null)
        {
            LabPrerequisites.Fail(_missing);
        }

        if (_startFailure is not null)
        {
            Assert.Fail("The virtual chassis did not come up: " + _startFailure.Message);
        }
    }

    /// <summary>Only the given image versions are offered in the menu: every other active image is paused.</summary>
    internal async Task OfferOnlyAsync(long imageId, CancellationToken ct, params long[] more)
    {
        var offered = more.Append(imageId).ToHashSet();
        foreach (var image in await Api.ListAsync("/api/images", ct))
        {
            var id = (long)image!["id"]!;
            if (!offered.Contains(id) && (string?)image["state"] == "Active")
            {
                await SetImageStateAsync(id, "Paused", ct);
            }
        }

        foreach (var id in offered)
        {
            await SetImageStateAsync(id, "Active", ct);
        }
    }

    /// <summary>Moves an image version to Active or Paused unless it is there already.</summary>
    internal async Task SetImageStateAsync(long imageId, string state, CancellationToken ct)
    {
        var image = await Api.GetAsync($"/api/images/{imageId}", ct);
        if ((string?)image?["state"] != state)
        {
            await Api.SendAsync(HttpMethod.Post, $"/api/images/{imageId}/{(state == "Active" ? "activate" : "pause")}", null, ct);
        }
    }

    internal string ApplianceLogTail()
    {
        try
        {
            var lines = File.ReadAllLines(ApplianceLog);
            return string.Join('\n', lines.Where(l => l.Contains("fail:", StringComparison.Ordinal) || l.Contains("warn:", StringComparison.Ordinal)).TakeLast(20).Select(l => l.Length > 400 ? l[..400] : l));
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    /// <summary>What else the chassis runs besides the appliance (a site's own DHCP server), once the lab is up.</summary>
    private protected virtual Task StartSiteServicesAsync(CancellationToken ct) => Task.CompletedTask;

    private protected virtual Task StopSiteServicesAsync() => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        _api?.Dispose();
        await StopSiteServicesAsync();
        if (_missing is null)
        {
            // Not the test's token: tear down even when the run was cancelled.
            await Lab.RunAsync(TimeSpan.FromMinutes(3), CancellationToken.None, "down");
        }
    }
}

/// <summary>A blade that reached its OS from its own LUN: the test donor's marker (none for a real OS) and the OS's identity line.</summary>
internal sealed record ProvisionedBlade(VirtualBlade Blade, long Id, JsonNode Volume, OsMarker? TestDonorMarker, OsIdentity Identity)
{
    public OsMarker Marker => TestDonorMarker ?? throw new InvalidOperationException($"blade {Blade.Name}: its OS prints no test donor marker");
}
