using BladeProvisioner.Web.Auth;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace BladeProvisioner.Web.UI.Pages;

internal sealed class UsersModel(AccountStore accounts) : PageModel
{
    public IReadOnlyList<UserAccount> Users { get; private set; } = [];
    public IReadOnlyList<ApiTokenInfo> Tokens { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        Users = await accounts.ListUsersAsync(ct);
        Tokens = await accounts.ListTokensAsync(ct);
    }
}
