using System.Net;
using BladeProvisioner.Core.Readiness;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Tftp.Server;
using BladeProvisioner.Tftp.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Tftp.Tests.Server;

public sealed class HostingTests
{
    private static IHost Build(Dictionary<string, string?> settings, ApplianceReadiness? readiness = null, ITimeline? timeline = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        if (readiness is not null)
        {
            builder.Services.AddSingleton(readiness);
        }

        if (timeline is not null)
        {
            builder.Services.AddSingleton(timeline);
        }

        builder.AddTftp();
        return builder.Build();
    }

    [Fact]
    public async Task EnabledWithoutInterfacesRefusesToStartNamingTheKey()
    {
        using var host = Build(new() { ["Tftp:Enabled"] = "true", ["Tftp:Root"] = "/srv/tftp" });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("Tftp:Interfaces", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RelativeRootRefusesToStart()
    {
        using var host = Build(new() { ["Tftp:Enabled"] = "true", ["Tftp:Interfaces:0"] = "eth1", ["Tftp:Root"] = "tftp" });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("Tftp:Root", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DisabledByDefaultBindsNothing()
    {
        using var host = Build([]);
        await host.StartAsync(TestContext.Current.CancellationToken);

        var bound = await host.Services.GetRequiredService<TftpServer>().Listening;

        Assert.Empty(bound);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task NothingIsAnsweredBeforeTheApplianceIsReady()
    {
        var root = Directory.CreateTempSubdirectory("bptftp-host-");
        try
        {
            File.WriteAllBytes(Path.Combine(root.FullName, "ipxe.efi"), new byte[1000]);
            var readiness = new ApplianceReadiness();
            readiness.Register("database");
            var timeline = new RecordingTimeline();
            using var host = Build(
                new() { ["Tftp:Enabled"] = "true", ["Tftp:ListenAddress"] = "127.0.0.1", ["Tftp:Port"] = "0", ["Tftp:Root"] = root.FullName },
                readiness,
                timeline);
            await host.StartAsync(TestContext.Current.CancellationToken);
            var server = host.Services.GetRequiredService<TftpServer>();

            await Task.Delay(200, TestContext.Current.CancellationToken);
            Assert.False(server.Listening.IsCompleted, "bound before readiness");

            readiness.Open("database");
            var bound = await server.Listening.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
            using var client = new TestTftpClient(bound.Single());
            var (data, _) = await client.DownloadAsync("ipxe.efi");

            Assert.Equal(1000, data.Length);
            Assert.Equal(IPAddress.Loopback, (await timeline.WaitForAsync(r => r.Kind == "tftp.transfer", TimeSpan.FromSeconds(5))).Address);
            await host.StopAsync(TestContext.Current.CancellationToken);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
    [Fact]
    public async Task ReadRequestsAreHeldWhileADependencyIsDownAndServedWhenItIsBack()
    {
        var root = Directory.CreateTempSubdirectory("bptftp-host-");
        try
        {
            File.WriteAllBytes(Path.Combine(root.FullName, "ipxe.efi"), new byte[1000]);
            var readiness = new ApplianceReadiness();
            readiness.Register("database");
            readiness.Open("database");
            using var host = Build(
                new() { ["Tftp:Enabled"] = "true", ["Tftp:ListenAddress"] = "127.0.0.1", ["Tftp:Port"] = "0", ["Tftp:Root"] = root.FullName },
                readiness);
            await host.StartAsync(TestContext.Current.CancellationToken);
            var bound = await host.Services.GetRequiredService<TftpServer>().Listening.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

            readiness.MarkDown("database", "connection refused", DateTimeOffset.UtcNow);
            using (var held = new TestTftpClient(bound.Single()))
            {
                held.SendToServer(TestTftpClient.Request("ipxe.efi"));
                Assert.Null(await held.ReceiveAsync(TimeSpan.FromSeconds(2)));
            }

            readiness.MarkUp("database");
            using var client = new TestTftpClient(bound.Single());
            var (data, _) = await client.DownloadAsync("ipxe.efi");
            Assert.Equal(1000, data.Length);
            await host.StopAsync(TestContext.Current.CancellationToken);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
