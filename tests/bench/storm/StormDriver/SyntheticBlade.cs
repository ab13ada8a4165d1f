using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace BladeProvisioner.Bench.Storm;

/// <summary>
/// One blade's whole boot conversation, as its firmware and iPXE hold it: PXE DHCP, TFTP of the iPXE binary, DHCP as
/// iPXE, the script chain (menu → choice → progress until reboot), then the second boot to its sanboot script, the
/// iSCSI login with CHAP and a read of the start of its LUN. Every stage's time, every retransmission and restart.
/// </summary>
internal sealed class SyntheticBlade(int index, StormOptions options, DhcpClient dhcp, AddressBook addresses)
{
    private const int MaxRestarts = 5;
    private readonly BladeResult _result = new() { Index = index };
    private readonly Stopwatch _clock = new();
    private IPAddress? _address;
    private HttpClient? _http;

    public byte[] Mac { get; } = [0x52, 0x54, 0x00, options.MacByte, (byte)(index >> 8), (byte)index];

    public Guid Uuid => new($"5b0a{options.MacByte:x2}00-0000-4000-8000-00000000{index:x4}");

    private bool Uefi => options.UefiEvery > 0 && index % options.UefiEvery == options.UefiEvery - 1;

    private string MacText => string.Join(':', Mac.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));

    public async Task<BladeResult> RunAsync(CancellationToken ct)
    {
        _result.Mac = MacText;
        _result.Firmware = Uefi ? "uefi" : "bios";
        _clock.Start();
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(options.BladeTimeout);
            await BootAsync(deadline.Token);
            _result.Stages["end-to-end"] = _clock.Elapsed.TotalSeconds;
            _result.Ok = _result.LunBytes == options.ReadBytes;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            _result.Error = $"{_result.Stage}: {e.GetType().Name}: {e.Message}";
        }
        finally
        {
            _http?.Dispose();
        }

        return _result;
    }

    private async Task BootAsync(CancellationToken ct)
    {
        var booted = false;
        var sinceReboot = TimeSpan.Zero;
        for (var power = 0; power < 3; power++)
        {
            var first = power == 0;
            var url = await FirmwareAsync(first, ct);
            var restarts = 0;
            var shownMenu = false;
            var chosen = TimeSpan.Zero;
            var httpStart = _clock.Elapsed;
            string? chained = null; // the script whose chain led here: its :restart path is taken when the chain fails
            while (true)
            {
                Enter(first && !shownMenu ? "http-menu" : "http");
                var (script, fetched) = await GetAsync(url, ct);
                IpxeStep step = script is null ? new IpxeStep(IpxeAction.Restart, null, 0, false, Settings()) : IpxeScript.Run(script, url, Settings());
                if (step.WasMenu && !shownMenu)
                {
                    shownMenu = true;
                    Stage("http-menu", httpStart);
                    chosen = _clock.Elapsed;
                }

                if (step.Action == IpxeAction.Restart || (script is not null && !fetched))
                {
                    if (++restarts > MaxRestarts)
                    {
                        throw new InvalidOperationException($"gave up after {MaxRestarts} restarts: {Trim(script)}");
                    }

                    _result.Retries++;
                    await Task.Delay(TimeSpan.FromSeconds(IpxeScript.RestartPause(fetched ? script! : chained ?? string.Empty)), ct);
                    Enter("dhcp-ipxe");
                    var (ack, r) = await dhcp.AcquireAsync(Identity(ipxe: true), options.DhcpTimeout, 4, ct);
                    _result.Retries += r;
                    url = IpxeScript.Expand(ack.BootFile ?? throw new InvalidOperationException("iPXE DHCP answer without a boot URL"), Settings());
                    continue;
                }

                if (step.SleepSeconds > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds(step.SleepSeconds), ct);
                }

                switch (step.Action)
                {
                    case IpxeAction.Chain:
                        chained = script;
                        url = step.Url!;
                        continue;
                    case IpxeAction.Reboot:
                        if (shownMenu || first)
                        {
                            Stage("clone-wait", chosen == TimeSpan.Zero ? httpStart : chosen);
                        }

                        sinceReboot = _clock.Elapsed;
                        break;
                    case IpxeAction.Sanboot:
                        Stage("sanboot", first ? httpStart : sinceReboot);
                        await SanbootAsync(step, ct);
                        booted = true;
                        break;
                    default:
                        throw new InvalidOperationException("stuck at: " + Trim(script));
                }

                break;
            }

            if (booted)
            {
                return;
            }
        }

        throw new InvalidOperationException("rebooted three times without a sanboot script");
    }

    /// <summary>Power-on to iPXE's boot URL: PXE DHCP, TFTP of the binary, DHCP as iPXE.</summary>
    private async Task<string> FirmwareAsync(bool first, CancellationToken ct)
    {
        var t = _clock.Elapsed;
        Enter("dhcp-pxe");
        var (pxe, r1) = await dhcp.AcquireAsync(Identity(ipxe: false), options.DhcpTimeout, 5, ct);
        _result.Retries += r1;
        await ConfigureAsync(pxe, ct);
        Stage(first ? "dhcp-pxe" : "dhcp-pxe-2", t);

        t = _clock.Elapsed;
        Enter("tftp");
        var file = pxe.BootFile ?? throw new InvalidOperationException("PXE answer without a boot file");
        var (bytes, r2) = await TftpClient.ReadAsync(_address!, new IPEndPoint(pxe.TftpServer, 69), file, options.BlockSize, options.WindowSize, TimeSpan.FromSeconds(1), 8, ct);
        _result.Retries += r2;
        _result.TftpBytes = bytes;
        Stage(first ? "tftp" : "tftp-2", t);

        t = _clock.Elapsed;
        Enter("dhcp-ipxe");
        var (ipxe, r3) = await dhcp.AcquireAsync(Identity(ipxe: true), options.DhcpTimeout, 4, ct);
        _result.Retries += r3;
        await ConfigureAsync(ipxe, ct);
        Stage(first ? "dhcp-ipxe" : "dhcp-ipxe-2", t);
        // iPXE expands settings in the DHCP filename before it fetches it (a hand-built chain names per-MAC scripts so).
        return IpxeScript.Expand(ipxe.BootFile ?? throw new InvalidOperationException("iPXE DHCP answer without a boot URL"), Settings());
    }

    /// <summary>One GET from the blade's own address: the script, and whether it was a 200.</summary>
    private async Task<(string? Script, bool Ok)> GetAsync(string url, CancellationToken ct)
    {
        try
        {
            using var response = await _http!.GetAsync(new Uri(url), ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                _result.LastRefusal = $"{(int)response.StatusCode} {url.Split('?')[0]}";
            }

            return (body, response.IsSuccessStatusCode);
        }
        catch (HttpRequestException e)
        {
            _result.LastRefusal = e.Message;
            return (null, false);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            // iPXE's HTTP gives up too; the chain fails and the script's :restart path runs.
            _result.LastRefusal = $"no answer in {options.HttpTimeout.TotalSeconds:0} s: {url.Split('?')[0]}";
            _result.HttpTimeouts++;
            return (null, false);
        }
    }

    private async Task SanbootAsync(IpxeStep step, CancellationToken ct)
    {
        // iscsi:<server>:<protocol>:<port>:<lun>:<target iqn> (iPXE's root-path syntax).
        var parts = step.RootPath!.Split(':', 6);
        if (parts.Length != 6 || parts[0] != "iscsi")
        {
            throw new InvalidOperationException("not an iSCSI root path: " + step.RootPath);
        }

        var portal = $"{parts[1]}:{(parts[3].Length == 0 ? "3260" : parts[3])}";
        var lun = int.Parse(parts[4].Length == 0 ? "0" : parts[4], CultureInfo.InvariantCulture);
        var s = step.Settings;
        var t = _clock.Elapsed;
        Enter("iscsi-read");
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                using var tail = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                long read = 0;
                var nonZero = false;
                await Task.Factory.StartNew(
                    () => BladeProvisioner.Testing.LunReader.Read(
                        portal, parts[5], lun, options.ReadBytes, s["initiator-iqn"], s["username"], s["password"],
                        s.GetValueOrDefault("reverse-username"), s.GetValueOrDefault("reverse-password"),
                        (offset, chunk) =>
                        {
                            sha.AppendData(chunk);
                            tail.AppendData(offset == 0 ? chunk[Math.Min(512, chunk.Length)..] : chunk);
                            nonZero |= chunk.ContainsAnyExcept((byte)0);
                            read += chunk.Length;
                        }),
                    ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
                _result.LunBytes = read;
                _result.LunSha256 = Convert.ToHexStringLower(sha.GetHashAndReset());
                _result.LunAfterSector0Sha256 = Convert.ToHexStringLower(tail.GetHashAndReset());
                _result.LunNonZero = nonZero;
                _result.MutualChap = s.ContainsKey("reverse-username");
                break;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                _result.Retries++;
                await Task.Delay(TimeSpan.FromSeconds(2), ct);
            }
        }

        Stage("iscsi-read", t);
    }

    /// <summary>The address of the answer goes on the chassis interface, as the firmware's IP stack takes it.</summary>
    private async Task ConfigureAsync(DhcpAnswer answer, CancellationToken ct)
    {
        var address = answer.Address;
        if (address.Equals(_address))
        {
            return;
        }

        await addresses.AddAsync(address, answer.PrefixLength, ct);
        _address = address;
        _result.Address = address.ToString();
        _http?.Dispose();
        var local = new IPEndPoint(address, 0);
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(local);
                    await socket.ConnectAsync(context.DnsEndPoint, token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        })
        { Timeout = options.HttpTimeout };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("iPXE/1.21.1");
    }

    private Dictionary<string, string> Settings() => new(StringComparer.Ordinal)
    {
        ["netX/mac"] = MacText,
        ["net0/mac"] = MacText,
        ["mac"] = MacText,
        ["uuid"] = Uuid.ToString(),
        ["serial"] = $"STORM-{index:0000}",
        ["manufacturer"] = "BladeProvisioner",
        ["product"] = "Storm Blade",
        ["platform"] = Uefi ? "efi" : "pcbios",
        ["buildarch"] = Uefi ? "x86_64" : "i386",
        ["ip"] = _address?.ToString() ?? string.Empty,
    };

    private DhcpIdentity Identity(bool ipxe) => new(Mac, Uuid, Uefi ? 7 : 0, ipxe);

    private void Enter(string stage) => _result.Stage = stage;

    private void Stage(string name, TimeSpan since) => _result.Stages[name] = Math.Round((_clock.Elapsed - since).TotalSeconds, 4);

    private static string Trim(string? s) => s is null ? "(no answer)" : s.Length > 300 ? s[..300] : s;
}
