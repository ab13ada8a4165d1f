using System.Globalization;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Web.Errors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;

namespace BladeProvisioner.Web.Api;

/// <summary>
/// Paging of lists that boot traffic can grow: a bounded default and maximum page size, parameters checked here (a bad
/// one is 400 <c>INVALID_PAGE</c>, never a silent clamp), and the next page as an RFC 8288 <c>Link: &lt;…&gt;; rel="next"</c>
/// header, so the body stays the plain JSON array it always was.
/// </summary>
internal static class Paging
{
    /// <summary>Parses a whole number in [<paramref name="min"/>, <paramref name="max"/>]; null text gives <paramref name="fallback"/>.</summary>
    public static bool TryParse(string? text, string name, long min, long max, long fallback, out long value, out ProblemHttpResult? problem)
    {
        problem = null;
        value = fallback;
        if (text is null)
        {
            return true;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max)
        {
            return true;
        }

        problem = ApiProblems.Invalid($"{name} must be a whole number from {min} to {max}; '{Short(text)}' is not.", ErrorCodes.InvalidPage);
        return false;
    }

    /// <summary>Sets <c>Link: &lt;this path with the query changed&gt;; rel="next"</c>.</summary>
    public static void SetNext(HttpContext http, IReadOnlyDictionary<string, string?> changes)
    {
        var query = http.Request.Query.ToDictionary(q => q.Key, q => (string?)q.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in changes)
        {
            query[key] = value;
        }

        var url = QueryHelpers.AddQueryString(http.Request.PathBase + http.Request.Path, query.Where(q => !string.IsNullOrEmpty(q.Value)));
        http.Response.Headers.Append("Link", $"<{url}>; rel=\"next\"");
    }

    private static string Short(string text) => text.Length > 20 ? text[..20] + "…" : text;
}
