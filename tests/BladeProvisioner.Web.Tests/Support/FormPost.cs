using System.Text.RegularExpressions;

namespace BladeProvisioner.Web.Tests.Support;

/// <summary>Submits a server-rendered form as a browser does: load the page, take its antiforgery token, post the fields.</summary>
internal static partial class FormPost
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"(?<t>[^\"]+)\"|value=\"(?<t>[^\"]+)\"[^>]*name=\"__RequestVerificationToken\"")]
    private static partial Regex Antiforgery();

    /// <summary>Posts <paramref name="fields"/> to <paramref name="path"/> with the token of the form at <paramref name="formPage"/> (default: the same page).</summary>
    public static async Task<HttpResponseMessage> SubmitAsync(
        HttpClient client, string path, IReadOnlyDictionary<string, string> fields, CancellationToken ct, string? formPage = null)
    {
        var page = await client.GetStringAsync(formPage ?? path, ct);
        var token = Antiforgery().Match(page).Groups["t"].Value;
        Assert.False(string.IsNullOrEmpty(token), $"the form at {path} carries an antiforgery token");
        var form = new Dictionary<string, string>(fields) { ["__RequestVerificationToken"] = token };
        return await client.PostAsync(path, new FormUrlEncodedContent(form), ct);
    }

    public static Task<HttpResponseMessage> SignInAsync(HttpClient client, string name, string password, CancellationToken ct) =>
        SubmitAsync(client, "/login", new Dictionary<string, string> { ["name"] = name, ["password"] = password, ["returnUrl"] = "/" }, ct);
}
