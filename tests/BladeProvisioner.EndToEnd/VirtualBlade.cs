using System.Text;
using System.Text.RegularExpressions;

namespace BladeProvisioner.EndToEnd;

/// <summary>A QEMU blade started by <c>lab.sh blade</c>: its identity (from <c>blade.sh info</c>), serial log and QMP socket.</summary>
internal sealed class VirtualBlade(string name, string firmware, IReadOnlyDictionary<string, string> info)
{
    public string Name { get; } = name;

    public string Firmware { get; } = firmware;

    public string Mac => info["mac"];

    public string SerialLog => info["serial_log"];

    public string Qmp => info["qmp"];

    public string BmcAddress => info["bmc_address"];

    public string BmcUser => info["bmc_user"];

    public string BmcPassword => info["bmc_password"];

    /// <summary>Where the serial log ends now: waits after a power cycle look only at what is new.</summary>
    public long SerialOffset => File.Exists(SerialLog) ? new FileInfo(SerialLog).Length : 0;

    /// <summary>The first serial line after <paramref name="offset"/> matching <paramref name="pattern"/>.</summary>
    /// <summary>
    /// The first serial line from <paramref name="offset"/> that matches. With <paramref name="wholeLine"/>, only a line
    /// the guest has finished (newline written) counts: the emulated UART writes slowly, and a line read while it is
    /// still being written would be cut short.
    /// </summary>
    public async Task<string> WaitSerialAsync(Regex pattern, long offset, TimeSpan timeout, CancellationToken ct, bool wholeLine = false)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var text = ReadSerial(offset);
            var lines = text.Split('\n');
            foreach (var line in wholeLine ? lines[..^1] : lines)
            {
                if (pattern.IsMatch(line))
                {
                    return line.Trim('\r', ' ');
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                var tail = text.Length > 1500 ? text[^1500..] : text;
                throw new TimeoutException($"Blade {Name}: no serial line matching /{pattern}/ within {timeout.TotalSeconds:0} s. Serial tail:\n{tail}");
            }

            await Task.Delay(100, ct);
        }
    }

    public string ReadSerial(long offset)
    {
        using var stream = new FileStream(SerialLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (offset >= stream.Length)
        {
            return string.Empty;
        }

        stream.Seek(offset, SeekOrigin.Begin);
        using var reader = new StreamReader(stream, Encoding.Latin1);
        return reader.ReadToEnd();
    }

    /// <summary>Polls the VGA text screen (BIOS blades: iPXE draws only there) until it matches.</summary>
    public async Task<string> WaitScreenAsync(Regex pattern, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        var screen = string.Empty;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                screen = await QmpClient.ReadVgaTextAsync(Qmp, ct);
                if (pattern.IsMatch(screen))
                {
                    return screen;
                }
            }
            catch (IOException)
            {
                // QEMU restarting under its BMC: try again.
            }
            catch (System.Net.Sockets.SocketException)
            {
            }

            await Task.Delay(200, ct);
        }

        throw new TimeoutException($"Blade {Name}: the screen did not show /{pattern}/ within {timeout.TotalSeconds:0} s. Screen:\n{screen}");
    }
}
