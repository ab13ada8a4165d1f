using System.Security.Claims;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Web.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace BladeProvisioner.Web.UI.Pages;

internal sealed class LoginModel : PageModel
{
    private readonly AccountStore _accounts;
    private readonly LoginThrottle _throttle;
    private readonly SetupToken _setup;
    private readonly ITimeline _timeline;
    private readonly ILogger<LoginModel> _logger;

    public LoginModel(AccountStore accounts, LoginThrottle throttle, SetupToken setup, ITimeline timeline, ILogger<LoginModel> logger)
    {
        _accounts = accounts;
        _throttle = throttle;
        _setup = setup;
        _timeline = timeline;
        _logger = logger;
    }

    public string? Error { get; private set; }
    public string? Name { get; private set; }
    public string ReturnUrl { get; private set; } = "/";
    public bool SetupPending => _setup.IsPending;

    public void OnGet(string? returnUrl) => ReturnUrl = SafeReturn(returnUrl);

    public async Task<IActionResult> OnPostAsync(string? name, string? password, string? returnUrl, CancellationToken ct)
    {
        ReturnUrl = SafeReturn(returnUrl);
        Name = name;
        var address = HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        name = name?.Trim() ?? "";
        if (_throttle.RetryAfterSeconds(name, address) is > 0 and var wait)
        {
            AuthLog.SignInThrottled(_logger, name, address, wait);
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            Response.Headers.RetryAfter = wait.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Error = $"Too many failed sign-ins. Try again in {wait} s.";
            return Page();
        }

        var user = name.Length == 0 || string.IsNullOrEmpty(password) ? null : await _accounts.VerifyPasswordAsync(name, password, ct);
        if (user is null)
        {
            _throttle.Failed(name, address);
            AuthLog.SignInFailed(_logger, name, address);
            _timeline.Record(new TimelineRecord(name.Length == 0 ? "anonymous" : name, "auth.failed", $"Failed sign-in for '{name}' from {address}"));
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            Error = "Wrong user name or password.";
            return Page();
        }

        _throttle.Succeeded(name, address);
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, user.Name), new Claim(ClaimTypes.Role, user.Role), new Claim(AuthClaims.Method, "password"),
                new Claim(AuthClaims.UserId, user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new Claim(AuthClaims.SessionVersion, user.SessionVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ],
            CookieAuthenticationDefaults.AuthenticationScheme);
        await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
        AuthLog.SignedIn(_logger, user.Name, address);
        _timeline.Record(new TimelineRecord(user.Name, "auth.login", $"{user.Name} signed in from {address}"));
        return LocalRedirect(ReturnUrl);
    }

    private string SafeReturn(string? url) => url is { Length: > 0 } && Url.IsLocalUrl(url) && !url.StartsWith("/login", StringComparison.OrdinalIgnoreCase) ? url : "/";
}
