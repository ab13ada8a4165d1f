using System.Net;
using BladeProvisioner.Core.Readiness;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Tftp.Server;

/// <summary>
/// The hosted TFTP service: waits for the appliance to be ready (nothing is bound, so nothing is answered,
/// before that), then listens on each configured provisioning interface until the host stops.
/// </summary>
internal sealed class TftpServer(IOptions<TftpOptions> options, ApplianceReadiness readiness, TftpServerContext context) : BackgroundService
{
    private readonly TaskCompletionSource<IReadOnlyList<IPEndPoint>> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The bound endpoints, once listening (tests read the ephemeral port here).</summary>
    internal Task<IReadOnlyList<IPEndPoint>> Listening => _listening.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            TftpLog.Disabled(context.Logger);
            _listening.TrySetResult([]);
            return;
        }

        TftpLog.WaitingForReadiness(context.Logger);
        await readiness.WaitAsync(stoppingToken);
        if (!Directory.Exists(settings.Root))
        {
            TftpLog.RootMissing(context.Logger, settings.Root ?? string.Empty);
        }

        var address = string.IsNullOrWhiteSpace(settings.ListenAddress) ? IPAddress.Any : IPAddress.Parse(settings.ListenAddress);
        var listeners = new List<TftpListener>();
        try
        {
            if (settings.Interfaces.Count == 0)
            {
                listeners.Add(new TftpListener(context, new IPEndPoint(address, settings.Port), device: null));
            }

            foreach (var device in settings.Interfaces)
            {
                listeners.Add(new TftpListener(context, new IPEndPoint(address, settings.Port), device));
            }

            foreach (var listener in listeners)
            {
                listener.Start();
                TftpLog.Listening(context.Logger, listener.LocalEndPoint, string.Join(',', settings.Interfaces), settings.Root ?? string.Empty);
            }

            _listening.TrySetResult([.. listeners.Select(l => l.LocalEndPoint)]);
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            _listening.TrySetException(ex);
            throw;
        }
        finally
        {
            _listening.TrySetCanceled(CancellationToken.None);
            foreach (var listener in listeners)
            {
                await listener.DisposeAsync();
            }
        }
    }
}
