using System.Net;
using BladeProvisioner.Tftp.Files;
using BladeProvisioner.Tftp.Server;
using Microsoft.Extensions.Logging.Abstractions;

namespace BladeProvisioner.Tftp.Tests.Support;

/// <summary>The server core without a host: a listener on 127.0.0.1 (ephemeral port) over a temporary root.</summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly TftpListener _listener;

    private LoopbackServer(TftpListener listener, TftpServerContext context, string root, RecordingTimeline timeline)
    {
        _listener = listener;
        Context = context;
        Root = root;
        Timeline = timeline;
    }

    public TftpServerContext Context { get; }
    public TftpMetrics Metrics => Context.Metrics;
    public string Root { get; }
    public RecordingTimeline Timeline { get; }
    public IPEndPoint EndPoint => _listener.LocalEndPoint;

    public static LoopbackServer Start(Action<TftpOptions>? configure = null, IEnumerable<ITftpFileProvider>? providers = null, IPEndPoint? bind = null, string? device = null)
    {
        var root = Directory.CreateTempSubdirectory("bptftp-root-").FullName;
        var options = new TftpOptions { Enabled = true, Root = root, Port = 0, Timeout = TimeSpan.FromSeconds(30) };
        configure?.Invoke(options);
        var timeline = new RecordingTimeline();
        var context = new TftpServerContext(
            options,
            new TftpFileProviderChain(providers ?? [], new RootDirectoryFileProvider(root)),
            new TftpMetrics(),
            timeline,
            NullLogger.Instance);
        var listener = new TftpListener(context, bind ?? new IPEndPoint(IPAddress.Loopback, 0), device);
        listener.Start();
        return new LoopbackServer(listener, context, root, timeline);
    }

    public byte[] AddFile(string name, int length, int seed = 1)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        AddFile(name, data);
        return data;
    }

    public void AddFile(string name, byte[] data)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, data);
    }

    public async ValueTask DisposeAsync()
    {
        await _listener.DisposeAsync();
        Context.Metrics.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}
