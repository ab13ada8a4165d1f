using System.ComponentModel.DataAnnotations;

namespace BladeProvisioner.Web.Auth;

/// <summary>Section <c>Auth</c>.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>
    /// For provisioning automation: at start the appliance makes sure an admin API token with exactly this value
    /// exists (stored hashed). Leave empty on hand-run appliances; create tokens in the UI or API instead.
    /// </summary>
    [MinLength(24, ErrorMessage = "Auth:BootstrapApiToken must be at least 24 characters.")]
    public string? BootstrapApiToken { get; set; }

    /// <summary>How long a browser session lasts without activity.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "30.00:00:00")]
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(8);
}
