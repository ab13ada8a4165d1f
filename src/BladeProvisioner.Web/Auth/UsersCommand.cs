using BladeProvisioner.Data;
using BladeProvisioner.Web.Api;

namespace BladeProvisioner.Web.Auth;

/// <summary>
/// <c>BladeProvisioner.Appliance users add --name NAME --role admin|operator</c>: creates an account in the configured
/// database (migrating it first) with the password read from standard input, then exits. For the first admin without
/// the browser, and for automation. <c>users passwd --name NAME</c> sets a new password the same way and ends the
/// account's sessions: the console's way in when an admin's password is lost.
/// </summary>
public static class UsersCommand
{
    public static bool Matches(string[] args) => args is ["users", ..];

    public static async Task<int> RunAsync(string[] args, TextReader input, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        string? name = null, role = null;
        var rest = new List<string>();
        for (var i = 2; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--name" when i + 1 < args.Length: name = args[++i]; break;
                case "--role" when i + 1 < args.Length: role = args[++i]; break;
                default: rest.Add(args[i]); break;
            }
        }

        var passwd = args is [_, "passwd", ..];
        if (!(args is [_, "add", ..] && name is not null && role is not null) && !(passwd && name is not null && role is null))
        {
            await output.WriteLineAsync("usage: BladeProvisioner.Appliance users add --name NAME --role admin|operator  (password on standard input)");
            await output.WriteLineAsync("       BladeProvisioner.Appliance users passwd --name NAME                     (password on standard input)");
            return 2;
        }

        var password = (await input.ReadLineAsync())?.TrimEnd('\r');
        if (AccountsApi.ValidateUser(name, passwd ? AuthRoles.Operator : role, password) is { } problem)
        {
            await output.WriteLineAsync(problem);
            return 2;
        }

        var builder = Host.CreateApplicationBuilder([.. rest]);
        builder.AddData();
        builder.Services.AddSingleton<AccountStore>();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            if (passwd)
            {
                var changed = await host.Services.GetRequiredService<AccountStore>().SetPasswordAsync(name!, password!, CancellationToken.None);
                await output.WriteLineAsync(changed ? $"Password of {name} changed; their sessions are ended." : $"No user named {name}.");
                return changed ? 0 : 1;
            }

            var id = await host.Services.GetRequiredService<AccountStore>().CreateUserAsync(name!, role!, password!, "cli", CancellationToken.None);
            await output.WriteLineAsync(id is null ? $"A user named {name} already exists." : $"Created {role} {name} (id {id}).");
            return id is null ? 1 : 0;
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
