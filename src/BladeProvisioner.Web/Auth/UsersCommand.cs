using BladeProvisioner.Data;
using BladeProvisioner.Web.Api;

namespace BladeProvisioner.Web.Auth;

/// <summary>
/// <c>BladeProvisioner.Appliance users add --name NAME --role admin|operator</c>: creates an account in the configured
/// database (migrating it first) with the password read from standard input, then exits. For the first admin without
/// the browser, and for automation.
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

        if (args is not [_, "add", ..] || name is null || role is null)
        {
            await output.WriteLineAsync("usage: BladeProvisioner.Appliance users add --name NAME --role admin|operator  (password on standard input)");
            return 2;
        }

        var password = (await input.ReadLineAsync())?.TrimEnd('\r');
        if (AccountsApi.ValidateUser(name, role, password) is { } problem)
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
            var id = await host.Services.GetRequiredService<AccountStore>().CreateUserAsync(name, role, password!, "cli", CancellationToken.None);
            await output.WriteLineAsync(id is null ? $"A user named {name} already exists." : $"Created {role} {name} (id {id}).");
            return id is null ? 1 : 0;
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
