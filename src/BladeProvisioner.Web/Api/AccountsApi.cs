using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Timeline;
using BladeProvisioner.Web.Auth;
using BladeProvisioner.Web.Errors;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BladeProvisioner.Web.Api;

/// <summary>User accounts and API tokens: admin only, reads included (who has access is itself sensitive).</summary>
internal static class AccountsApi
{
    /// <summary>API tokens expire; a script's token is renewed by making a new one and revoking the old.</summary>
    public const int DefaultTokenDays = 90;
    public const int MaxTokenDays = 365;

    public static void Map(RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").WithTags("Accounts").RequireAuthorization(AuthRoles.AdminPolicy);
        users.MapGet("/", async (AccountStore accounts, CancellationToken ct) => TypedResults.Ok(await accounts.ListUsersAsync(ct))).WithName("ListUsers");
        users.MapPost("/", CreateUserAsync).WithName("CreateUser");
        users.MapPatch("/{id:long}", UpdateUserAsync).WithName("UpdateUser");
        users.MapDelete("/{id:long}", DeleteUserAsync).WithName("DeleteUser");

        var tokens = api.MapGroup("/tokens").WithTags("Accounts").RequireAuthorization(AuthRoles.AdminPolicy);
        tokens.MapGet("/", async (AccountStore accounts, CancellationToken ct) => TypedResults.Ok(await accounts.ListTokensAsync(ct))).WithName("ListTokens");
        tokens.MapPost("/", CreateTokenAsync).WithName("CreateToken");
        tokens.MapDelete("/{id:long}", RevokeTokenAsync).WithName("RevokeToken");
    }

    internal static string? ValidateUser(string? name, string? role, string? password) =>
        name is null || name.Length is < 1 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@')
            ? "A user name is 1-64 characters of letters, digits, '.', '_', '-', '@'."
            : !AuthRoles.IsValid(role)
                ? "role must be 'admin' or 'operator'."
                : password is null || password.Length < 10
                    ? "A password has at least 10 characters."
                    : null;

    private static async Task<Results<Created<UserAccount>, ProblemHttpResult>> CreateUserAsync(
        CreateUserBody body, AccountStore accounts, ITimeline timeline, HttpContext http, CancellationToken ct)
    {
        if (ValidateUser(body.Name, body.Role, body.Password) is { } problem)
        {
            return ApiProblems.Invalid(problem);
        }

        if (await accounts.CreateUserAsync(body.Name!, body.Role!, body.Password!, Actor.Of(http), ct) is not { } id)
        {
            return ApiProblems.From(ErrorCodes.UniqueViolation, ErrorKind.Conflict, $"A user named {body.Name} already exists.");
        }

        timeline.Record(new TimelineRecord(Actor.Of(http), "user.created", $"User {body.Name} ({body.Role}) created by {Actor.Of(http)}"));
        var user = (await accounts.ListUsersAsync(ct)).Single(u => u.Id == id);
        return TypedResults.Created($"/api/users/{id}", user);
    }

    /// <summary>A new role and/or password; the account's sessions end (it signs in again with what it now has).</summary>
    private static async Task<Results<Ok<UserAccount>, ProblemHttpResult>> UpdateUserAsync(
        long id, UpdateUserBody body, AccountStore accounts, ITimeline timeline, HttpContext http, CancellationToken ct)
    {
        if (body.Role is null && body.Password is null)
        {
            return ApiProblems.Invalid("Give a new role, a new password, or both.");
        }

        if (body.Role is not null && !AuthRoles.IsValid(body.Role))
        {
            return ApiProblems.Invalid("role must be 'admin' or 'operator'.");
        }

        if (body.Password is not null && body.Password.Length < 10)
        {
            return ApiProblems.Invalid("A password has at least 10 characters.");
        }

        if (!await accounts.UpdateUserAsync(id, body.Role, body.Password, ct))
        {
            return ApiProblems.From(ErrorCodes.UserNotFound, ErrorKind.NotFound, $"User {id} does not exist.");
        }

        var user = (await accounts.ListUsersAsync(ct)).Single(u => u.Id == id);
        var what = string.Join(" and ", new[] { body.Role is null ? null : $"role {body.Role}", body.Password is null ? null : "password" }.OfType<string>());
        timeline.Record(new TimelineRecord(Actor.Of(http), "user.updated", $"User {user.Name}: {what} changed by {Actor.Of(http)}; their sessions ended"));
        return TypedResults.Ok(user);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteUserAsync(
        long id, AccountStore accounts, ITimeline timeline, HttpContext http, CancellationToken ct)
    {
        if (!await accounts.DeleteUserAsync(id, ct))
        {
            return ApiProblems.From(ErrorCodes.UserNotFound, ErrorKind.NotFound, $"User {id} does not exist.");
        }

        timeline.Record(new TimelineRecord(Actor.Of(http), "user.deleted", $"User {id} deleted by {Actor.Of(http)}"));
        return TypedResults.NoContent();
    }

    private static async Task<Results<Created<TokenCreated>, ProblemHttpResult>> CreateTokenAsync(
        CreateTokenBody body, AccountStore accounts, ITimeline timeline, HttpContext http, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 64 || !AuthRoles.IsValid(body.Role))
        {
            return ApiProblems.Invalid("name (1-64 characters) and role ('admin' or 'operator') are required.");
        }

        if (body.ExpiresInDays is < 1 or > MaxTokenDays)
        {
            return ApiProblems.Invalid($"expiresInDays is 1-{MaxTokenDays} (default {DefaultTokenDays}).");
        }

        var lifetime = TimeSpan.FromDays(body.ExpiresInDays ?? DefaultTokenDays);
        var (token, id, expires) = await accounts.CreateTokenAsync(body.Name.Trim(), body.Role!, Actor.Of(http), lifetime, ct);
        timeline.Record(new TimelineRecord(Actor.Of(http), "token.created", $"API token {body.Name} ({body.Role}) created by {Actor.Of(http)}, expires {expires:yyyy-MM-dd}"));
        return TypedResults.Created($"/api/tokens/{id}", new TokenCreated(id, body.Name.Trim(), body.Role!, token, expires));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeTokenAsync(
        long id, AccountStore accounts, ITimeline timeline, HttpContext http, CancellationToken ct)
    {
        if (!await accounts.RevokeTokenAsync(id, ct))
        {
            return ApiProblems.From(ErrorCodes.TokenNotFound, ErrorKind.NotFound, $"No live API token {id}.");
        }

        timeline.Record(new TimelineRecord(Actor.Of(http), "token.revoked", $"API token {id} revoked by {Actor.Of(http)}"));
        return TypedResults.NoContent();
    }
}

internal sealed record CreateUserBody(string? Name, string? Role, string? Password);

internal sealed record UpdateUserBody(string? Role, string? Password);

internal sealed record CreateTokenBody(string? Name, string? Role, int? ExpiresInDays = null);

/// <summary>The token itself appears here once and nowhere else.</summary>
internal sealed record TokenCreated(long Id, string Name, string Role, string Token, DateTimeOffset ExpiresAt);
