using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace BladeProvisioner.EndToEnd;

/// <summary>
/// A blade's QEMU monitor (QMP over its Unix socket): keys like a person at the console, the VGA text screen, screendumps.
/// One connection per call: the blade may be power-cycled by its BMC between calls.
/// </summary>
internal static class QmpClient
{
    public static async Task<JsonNode?> ExecuteAsync(string socketPath, string command, JsonObject? arguments, CancellationToken ct)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        await using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
        await reader.ReadLineAsync(ct); // greeting
        await SendAsync(writer, reader, "qmp_capabilities", null, ct);
        return await SendAsync(writer, reader, command, arguments, ct);
    }

    /// <summary>Presses keys one after another (QEMU qcodes; chords with '-', e.g. "ctrl-alt-delete").</summary>
    public static async Task SendKeysAsync(string socketPath, IEnumerable<string> keys, CancellationToken ct)
    {
        foreach (var key in keys)
        {
            var codes = new JsonArray(key.Split('-').Select(k => (JsonNode)new JsonObject { ["type"] = "qcode", ["data"] = k }).ToArray());
            await ExecuteAsync(socketPath, "send-key", new JsonObject { ["keys"] = codes, ["hold-time"] = 50 }, ct);
            await Task.Delay(80, ct); // the guest sees the release before the next key
        }
    }

    /// <summary>The 80x25 VGA text screen (physical 0xb8000, character/attribute pairs, code page 437 read as Latin-1).</summary>
    public static async Task<string> ReadVgaTextAsync(string socketPath, CancellationToken ct)
    {
        var file = Path.Combine(Path.GetTempPath(), $"bp-e2e-vga-{Guid.NewGuid():N}.bin");
        try
        {
            await ExecuteAsync(socketPath, "pmemsave", new JsonObject { ["val"] = 0xB8000, ["size"] = 80 * 25 * 2, ["filename"] = file }, ct);
            var raw = await File.ReadAllBytesAsync(file, ct);
            var text = new StringBuilder(80 * 26);
            for (int row = 0; row < 25; row++)
            {
                var line = new StringBuilder(80);
                for (int col = 0; col < 80; col++)
                {
                    int i = ((row * 80) + col) * 2;
                    var b = (uint)i < (uint)raw.Length ? raw[i] : (byte)' ';
                    line.Append(b is >= 0x20 and < 0x7f ? (char)b : ' ');
                }

                text.Append(line.ToString().TrimEnd()).Append('\n');
            }

            return text.ToString();
        }
        finally
        {
            File.Delete(file);
        }
    }

    public static Task ScreendumpPngAsync(string socketPath, string path, CancellationToken ct) =>
        ExecuteAsync(socketPath, "screendump", new JsonObject { ["filename"] = Path.GetFullPath(path), ["format"] = "png" }, ct);

    private static async Task<JsonNode?> SendAsync(StreamWriter writer, StreamReader reader, string command, JsonObject? arguments, CancellationToken ct)
    {
        var message = new JsonObject { ["execute"] = command };
        if (arguments is not null)
        {
            message["arguments"] = arguments;
        }

        await writer.WriteLineAsync(message.ToJsonString().AsMemory(), ct);
        while (true)
        {
            var line = await reader.ReadLineAsync(ct) ?? throw new IOException($"QMP {command}: connection closed");
            var reply = JsonNode.Parse(line)?.AsObject() ?? throw new IOException($"QMP {command}: empty reply");
            if (reply.ContainsKey("event"))
            {
                continue;
            }

            if (reply["error"] is { } error)
            {
                throw new IOException($"QMP {command}: {error["desc"]}");
            }

            return reply["return"];
        }
    }
}
