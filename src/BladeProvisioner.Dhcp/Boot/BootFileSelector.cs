using BladeProvisioner.Core.Blades;
using BladeProvisioner.Core.Boot;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Dhcp.Configuration;

namespace BladeProvisioner.Dhcp.Boot;

/// <summary>
/// Chooses the boot file (RFC 4578 §2.1 architecture types). iPXE clients get the boot script URL, never an iPXE
/// binary: QEMU's NIC ROM is iPXE already and its DISCOVER matches a chained undionly.kpxe, so a binary would loop.
/// </summary>
internal sealed class BootFileSelector(DhcpOptions options)
{
    public BootDecision? Select(ClientInfo client, BladeBootProfile? profile, string? product, string serverAddress, int httpPort)
    {
        if (client.IsIpxe)
        {
            return new BootDecision(options.BootScriptUrl ?? BootUrls.Entry(serverAddress, httpPort), IsUrl: true, VendorClassReply: null);
        }

        if (client.IsHttpClient)
        {
            var baseUrl = options.HttpBootBaseUrl ?? BootUrls.LoaderFiles(serverAddress, httpPort);
            if (!baseUrl.EndsWith('/'))
            {
                baseUrl += "/";
            }

            return new BootDecision(baseUrl + UefiFile(profile, product), IsUrl: true, VendorClassReply: "HTTPClient");
        }

        if (!client.IsPxe)
        {
            return null;
        }

        return client.Architecture switch
        {
            null or 0 => new BootDecision(options.BiosBootFile, IsUrl: false, VendorClassReply: "PXEClient"),
            6 or 7 or 9 => new BootDecision(UefiFile(profile, product), IsUrl: false, VendorClassReply: "PXEClient"),
            _ => null, // No iPXE build for this architecture (ARM, Itanium): stay silent rather than hand a wrong binary.
        };
    }

    private string UefiFile(BladeBootProfile? profile, string? product)
    {
        var loader = options.DefaultUefiLoader;
        if (product is not null && options.UefiLoaderByProduct.TryGetValue(product, out var byProduct))
        {
            loader = byProduct;
        }

        // A blade's own SnpOnly setting is an explicit choice and wins (its default is IpxeEfi).
        if (profile?.UefiLoader == UefiLoader.SnpOnly)
        {
            loader = UefiLoader.SnpOnly;
        }

        return loader == UefiLoader.SnpOnly ? options.SnpOnlyBootFile : options.IpxeEfiBootFile;
    }
}
