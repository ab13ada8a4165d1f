using Microsoft.Extensions.Options;

namespace BladeProvisioner.Web.Auth;

/// <summary>
/// At start (after the database is migrated): ensure the configured bootstrap API token exists, and when no account
/// exists yet, issue the one-time setup token and print it once, so the first admin can be created at <c>/setup</c>.
/// </summary>
internal sealed partial class AuthBootstrap(AccountStore accounts, SetupToken setup, IOptions<AuthOptions> options, ILogger<AuthBootstrap> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.BootstrapApiToken is { Length: > 0 } token)
        {
            await accounts.EnsureTokenAsync("bootstrap", AuthRoles.Admin, "configuration", token, cancellationToken);
            LogBootstrapToken(logger);
        }

        if (await accounts.CountUsersAsync(cancellationToken) == 0)
        {
            LogSetupToken(logger, setup.Issue());
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = WebEventIds.AuthBootstrapToken, Level = LogLevel.Information, Message = "The bootstrap API token from Auth:BootstrapApiToken is registered (admin role)")]
    private static partial void LogBootstrapToken(ILogger logger);

    // The one deliberate exception to "never log a secret": a single-use token that only works while no account exists.
    [LoggerMessage(EventId = WebEventIds.AuthSetupToken, Level = LogLevel.Warning,
        Message = "No user account exists yet. Open /setup in a browser and enter this one-time setup token to create the first admin: "
            + "{SetupToken} (it works once, and only until this process restarts; or run 'users add --name <name> --role admin')")]
    private static partial void LogSetupToken(ILogger logger, string setupToken);
}
