using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace BladeProvisioner.Bench.Storm;

/// <summary>
/// Puts each blade's leased address on the chassis interface (<c>ip addr add</c>), so its TFTP, HTTP and iSCSI come
/// from its own address; a few at a time, as many firmware stacks would be configuring at once.
/// </summary>
internal sealed class AddressBook(string interfaceName)
{
    private readonly SemaphoreSlim _gate = new(8);

    public async Task AddAsync(IPAddress address, int prefixLength, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var psi = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in (string[])["addr", "replace", $"{address}/{prefixLength.ToString(CultureInfo.InvariantCulture)}", "dev", interfaceName, "noprefixroute"])
            {
                psi.ArgumentList.Add(a);
            }

            using var p = Process.Start(psi)!;
            var err = await p.StandardError.ReadToEndAsync(ct);
            await p.WaitForExitAsync(ct);
            if (p.ExitCode != 0)
            {
                throw new InvalidOperationException($"ip addr replace {address}: {err.Trim()}");
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
