namespace BladeProvisioner.Core.Errors;

/// <summary>How an error maps onto the API: 400, 404, 409, 503, 507 or 500.</summary>
public enum ErrorKind
{
    Invalid,
    NotFound,
    Conflict,
    Unavailable,

    /// <summary>New work refused because it would take a filesystem's reserve (HTTP 507).</summary>
    InsufficientStorage,
    Failure,
}
