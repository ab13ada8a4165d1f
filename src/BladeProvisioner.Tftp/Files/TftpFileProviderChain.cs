using System.Net;

namespace BladeProvisioner.Tftp.Files;

/// <summary>Asks the registered per-client providers in order, then the root directory.</summary>
internal sealed class TftpFileProviderChain(IEnumerable<ITftpFileProvider> providers, RootDirectoryFileProvider? root)
{
    private readonly ITftpFileProvider[] _providers = [.. providers];

    public async ValueTask<FileLookup> OpenAsync(string path, IPEndPoint client, CancellationToken cancellationToken)
    {
        if (_providers.Length > 0)
        {
            var request = new TftpFileRequest(path, client);
            foreach (var provider in _providers)
            {
                var file = await provider.OpenAsync(request, cancellationToken);
                if (file is not null)
                {
                    return FileLookup.Found(file);
                }
            }
        }

        return root?.Open(path) ?? FileLookup.NotFound;
    }
}
