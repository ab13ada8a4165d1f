using System.Security.Claims;
using BladeProvisioner.Core.Boot;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Web.Auth;

/// <summary>
/// Sign-in for the UI (cookie) and the API (the same cookie, or a bearer API token). Everything requires a signed-in
/// user except what blades and monitoring must reach anonymously: <c>/boot/**</c>, <c>/health/live</c>,
/// <c>/health/ready</c>, <c>/metrics</c>, plus the sign-in pages and their stylesheet.
/// </summary>
public static class AuthHostingExtensions
{
    private const string SelectorScheme = "Appliance";

    public static IHostApplicationBuilder AddApplianceAuth(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AccountStore>();
        services.AddSingleton<SetupToken>();
        services.AddSingleton<LoginThrottle>();
        services.AddHostedService<AuthBootstrap>();

        services.AddAuthentication(SelectorScheme)
            .AddPolicyScheme(SelectorScheme, "Cookie or API token", o => o.ForwardDefaultSelector = ctx =>
                ctx.Request.Headers.Authorization.ToString().StartsWith(ApiTokenHandler.Prefix, StringComparison.OrdinalIgnoreCase)
                    ? ApiTokenHandler.SchemeName
                    : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.Cookie.Name = "bp_session";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                // The UI is served over HTTPS only (the management listener): the browser never sends the session over plain HTTP.
                o.Cookie.SecurePolicy = CookieSecurePolicy.Always;
                o.SlidingExpiration = true;
                o.LoginPath = "/login";
                o.Events.OnValidatePrincipal = SessionValidator.ValidateAsync;
                o.Events.OnRedirectToLogin = ctx => AuthProblems.IsApi(ctx.HttpContext) ? AuthProblems.WriteUnauthorizedAsync(ctx.HttpContext) : Redirect(ctx);
                o.Events.OnRedirectToAccessDenied = ctx => AuthProblems.IsApi(ctx.HttpContext)
                    ? AuthProblems.WriteForbiddenAsync(ctx.HttpContext)
                    : WriteForbiddenPageAsync(ctx.HttpContext);
            })
            .AddScheme<AuthenticationSchemeOptions, ApiTokenHandler>(ApiTokenHandler.SchemeName, null);
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>>((cookie, auth) => cookie.ExpireTimeSpan = auth.Value.SessionIdleTimeout);

        services.AddAuthorizationBuilder()
            .AddPolicy(AuthRoles.ReadPolicy, p => p.RequireAuthenticatedUser())
            .AddPolicy(AuthRoles.OperatePolicy, p => p.RequireRole(AuthRoles.Admin, AuthRoles.Operator))
            .AddPolicy(AuthRoles.AdminPolicy, p => p.RequireRole(AuthRoles.Admin));
        services.AddAntiforgery(o =>
        {
            o.HeaderName = "X-CSRF-Token";
            o.Cookie.Name = "bp_csrf";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.HttpOnly = true;
            o.Cookie.SecurePolicy = CookieSecurePolicy.Always;
        });
        return builder;
    }

    /// <summary>Authentication, the sign-in gate, CSRF for cookie-authenticated API writes, then authorization.</summary>
    public static IApplicationBuilder UseApplianceAuth(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseAuthentication();
        app.Use(async (context, next) =>
        {
            if (IsAnonymous(context.Request.Path))
            {
                await next(context);
                return;
            }

            if (context.User.Identity?.IsAuthenticated != true)
            {
                await context.ChallengeAsync();
                return;
            }

            // A browser sends the session cookie on its own; an API write made with it must also carry the CSRF header.
            if (AuthProblems.IsApi(context) && !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method)
                && context.User.FindFirstValue(AuthClaims.Method) == "password"
                && !await context.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(context))
            {
                await AuthProblems.Write(context, AuthProblems.CsrfFailed, StatusCodes.Status400BadRequest, "Cookie-authenticated API writes need the X-CSRF-Token header.");
                return;
            }

            await next(context);
        });
        app.UseAuthorization();
        return app;
    }

    /// <summary>cloud-init's phone-home from a blade's OS: no sign-in, the per-volume token in its path is the credential.</summary>
    private static readonly PathString PhoneHomePath = Core.CloudInit.PhoneHomeToken.PathPrefix.TrimEnd('/');

    /// <summary>Paths reachable without signing in.</summary>
    public static bool IsAnonymous(PathString path) =>
        path.StartsWithSegments(BootUrls.Prefix, StringComparison.Ordinal)
        || path.StartsWithSegments(PhoneHomePath, StringComparison.Ordinal)
        || path.Equals("/health/live", StringComparison.Ordinal)
        || path.Equals("/health/ready", StringComparison.Ordinal)
        || path.Equals("/metrics", StringComparison.Ordinal)
        || path.Equals("/login", StringComparison.OrdinalIgnoreCase)
        || path.Equals("/setup", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/assets", StringComparison.Ordinal)
        || path.Equals("/favicon.ico", StringComparison.Ordinal);

    private static Task Redirect(RedirectContext<CookieAuthenticationOptions> ctx)
    {
        ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }

    private static Task WriteForbiddenPageAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync(
            "<!doctype html><title>Not allowed</title><link rel=stylesheet href=/assets/site.css><main class=narrow><h1>Not allowed</h1>"
            + "<p>Your role does not allow this.</p><p><a href=/>Back to the dashboard</a></p></main>");
    }
}
