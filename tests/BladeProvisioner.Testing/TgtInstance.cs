namespace BladeProvisioner.Testing;

/// <summary>
/// Settings for an appliance under test that runs its own tgtd: tgt's control socket is a file shared by every
/// namespace (<c>/var/run/tgtd/socket.&lt;port&gt;</c>), so each test appliance needs its own control port, and its own
/// portal port on 127.0.0.1. Ports are claimed with lock files so parallel tests never share one.
/// </summary>
public sealed class TgtInstance : IDisposable
{
    private readonly FileStream _claim;

    private TgtInstance(int controlPort, int portalPort, FileStream claim)
    {
        ControlPort = controlPort;
        PortalPort = portalPort;
        _claim = claim;
    }

    public int ControlPort { get; }
    public int PortalPort { get; }

    /// <summary>As command-line arguments for the appliance.</summary>
    public string[] Arguments =>
    [
        "--Targets:ControlPort", ControlPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--Targets:PortalAddress", "127.0.0.1",
        "--Targets:PortalPort", PortalPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
    ];

    public IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Targets:ControlPort", ControlPort.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("Targets:PortalAddress", "127.0.0.1"),
        new("Targets:PortalPort", PortalPort.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];

    public static TgtInstance Claim()
    {
        Prerequisites.RequireProgram("/usr/sbin/tgtd");
        for (int slot = Random.Shared.Next(0, 400), tries = 0; tries < 400; slot = (slot + 1) % 400, tries++)
        {
            var control = 6000 + slot;
            if (File.Exists($"/var/run/tgtd/socket.{control}"))
            {
                continue;
            }

            try
            {
                var claim = new FileStream(Path.Combine(Path.GetTempPath(), $"bp-tgt-{control}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
                return new TgtInstance(control, ApplianceProcess.FreeTcpPort(), claim);
            }
            catch (IOException)
            {
                // Claimed by another test right now.
            }
        }

        throw new InvalidOperationException("No free tgtd control port in 6000-6399.");
    }

    /// <summary>
    /// Ends the appliance's tgtd too: after a stop or a SIGKILL of the appliance the (detached) tgtd it started lives on
    /// (as it should in production, where the next start adopts it), but a finished test must leave nothing running.
    /// </summary>
    public void Dispose()
    {
        var port = ControlPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        TestNetwork.Run("tgtadm", ["-C", port, "--op", "update", "--mode", "sys", "--name", "State", "-v", "offline"], TimeSpan.FromSeconds(5));
        TestNetwork.Run("pkill", ["-9", "-f", $"tgtd .*--control-port {port}$"], TimeSpan.FromSeconds(5));
        foreach (var file in new[] { $"/var/run/tgtd/socket.{port}", $"/var/run/tgtd/socket.{port}.lock", $"/var/run/tgtd/bladeprovisioner.{port}.pid" })
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        _claim.Dispose();
    }
}
