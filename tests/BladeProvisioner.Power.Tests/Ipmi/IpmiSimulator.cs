using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BladeProvisioner.Power.Tests.Ipmi;

/// <summary>
/// A real BMC for tests: OpenIPMI's <c>ipmi_sim</c> on 127.0.0.1:&lt;free port&gt;, one admin user, and a chassis
/// control script that keeps the chassis state in files (power, boot) and appends every change to <c>events</c>,
/// so a test can see exactly what the BMC was told to do and in which order.
/// </summary>
internal sealed class IpmiSimulator : IAsyncDisposable
{
    // ipmi_sim calls: <script> <mc> get power boot | <script> <mc> set power 1 | set reset 1 | set boot pxe
    private const string ChassisScript = """
        #!/bin/sh
        dir=$(dirname "$0")
        shift
        op=$1
        shift
        case $op in
        get)
          for p in "$@"; do
            case $p in
              power) echo "power:$(cat "$dir/power")" ;;
              boot) echo "boot:$(cat "$dir/boot")" ;;
              *) echo "Invalid parameter: $p"; exit 1 ;;
            esac
          done ;;
        set)
          while [ $# -ge 2 ]; do
            case $1 in
              power) echo "$2" > "$dir/power" ;;
              boot) echo "$2" > "$dir/boot" ;;
            esac
            echo "$1 $2" >> "$dir/events"
            shift 2
          done ;;
        *) echo "Unknown operation: $op"; exit 1 ;;
        esac
        """;

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private IpmiSimulator(string directory, int port, string username, string password, Process process)
    {
        Directory = directory;
        Port = port;
        Username = username;
        Password = password;
        _process = process;
    }

    public string Directory { get; }
    public int Port { get; }
    public string Username { get; }
    public string Password { get; }
    public string Address => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Chassis changes in the order the BMC made them: "boot pxe", "reset 1", "power 0", "power 1".</summary>
    public IReadOnlyList<string> Events
    {
        get
        {
            var path = Path.Combine(Directory, "events");
            return File.Exists(path) ? File.ReadAllLines(path) : [];
        }
    }

    public string ChassisPower => File.ReadAllText(Path.Combine(Directory, "power")).Trim();

    public static async Task<IpmiSimulator> StartAsync(string username, string password, bool poweredOn, CancellationToken cancellationToken)
    {
        Prerequisites.RequireTools("openipmi ipmitool", "ipmi_sim", "ipmitool");
        var dir = Path.Combine(Path.GetTempPath(), "bppwr-sim-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Path.Combine(dir, "state"));
        var port = FreeUdpPort();
        var script = Path.Combine(dir, "chassis.sh");
        await File.WriteAllTextAsync(script, ChassisScript.Replace("\r", string.Empty, StringComparison.Ordinal) + "\n", cancellationToken);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await File.WriteAllTextAsync(Path.Combine(dir, "power"), poweredOn ? "1\n" : "0\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(dir, "boot"), "default\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(dir, "lan.conf"), $"""
            name "bppwrsim"
            set_working_mc 0x20
              startlan 1
                addr 127.0.0.1 {port}
                priv_limit admin
                allowed_auths_callback none md2 md5 straight
                allowed_auths_user none md2 md5 straight
                allowed_auths_operator none md2 md5 straight
                allowed_auths_admin none md2 md5 straight
                guid a1b2c3d4e5f60718293a4b5c6d7e8f90
              endlan
              chassis_control "{script} 0x20"
              user 2 true "{username}" "{password}" admin 10 none md2 md5 straight
            """ + "\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(dir, "sim.emu"), """
            mc_setbmc 0x20
            mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
            sel_enable 0x20 1000 0x0a
            mc_enable 0x20
            """ + "\n", cancellationToken);

        var psi = new ProcessStartInfo("ipmi_sim")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir,
        };
        foreach (var a in new[] { "-c", Path.Combine(dir, "lan.conf"), "-f", Path.Combine(dir, "sim.emu"), "-s", Path.Combine(dir, "state"), "-n" })
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("ipmi_sim did not start");
        var sim = new IpmiSimulator(dir, port, username, password, process);
        process.OutputDataReceived += (_, e) => sim.Append(e.Data);
        process.ErrorDataReceived += (_, e) => sim.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await sim.WaitListeningAsync(cancellationToken);
        return sim;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }
        finally
        {
            _process.Dispose();
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    /// <summary>Waits until the UDP port shows in /proc/net/udp (bound), or fails with ipmi_sim's output.</summary>
    private async Task WaitListeningAsync(CancellationToken cancellationToken)
    {
        var needle = $":{Port:X4} ";
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_process.HasExited)
            {
                break;
            }

            var table = await File.ReadAllTextAsync("/proc/net/udp", cancellationToken);
            if (table.Contains("0100007F" + needle, StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(20, cancellationToken);
        }

        string output;
        lock (_output)
        {
            output = _output.ToString();
        }

        Assert.Fail($"ipmi_sim did not start listening on {Address}: {output}");
    }

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
