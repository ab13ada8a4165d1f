using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Web.Api;
using BladeProvisioner.Web.Auth;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace BladeProvisioner.Web.UI.Pages;

internal sealed class SetupModel : PageModel
{
    private readonly AccountStore _accounts;
    private readonly SetupToken _setup;
    private readonly LoginThrottle _throttle;
    private readonly ITimeline _timeline;
    private readonly ILogger<SetupModel> _logger;

    public SetupModel(AccountStore accounts, SetupToken setup, LoginThrottle throttle, ITimeline timeline, ILogger<SetupModel> logger)
    {
        _accounts = accounts;
        _setup = setup;
        _throttle = throttle;
        _timeline = timeline;
        _logger = logger;
    }

    public bool Pending => _setup.IsPending;
    public string? Error { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(string? token, string? name, string? password, CancellationToken ct)
    {
        var address = HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (_throttle.RetryAfterSeconds("(setup)", address) > 0)
        {
            Error = "Too many wrong tokens; wait a few minutes.";
            return Page();
        }

        if (AccountsApi.ValidateUser(name, AuthRoles.Admin, password) is { } problem)
        {
            Error = problem;
            return Page();
        }

        if (!_setup.TryConsume(token))
        {
            _throttle.Failed("(setup)", address);
            Error = "That is not the setup token.";
            return Page();
        }

        if (!await _accounts.CreateFirstAdminAsync(name!, password!, ct))
        {
            Error = "An account already exists.";
            return Page();
        }

        AuthLog.FirstAdminCreated(_logger, name!, address);
        _timeline.Record(new TimelineRecord("setup", "user.created", $"First admin {name} created through /setup from {address}"));
        return Redirect("/login");
    }
}
