namespace BladeProvisioner.Core.Errors;

/// <summary>How an error maps onto the API: 400, 404, 409, 503 or 500.</summary>
public enum ErrorKind
{
    Invalid,
    NotFound,
    Conflict,
    Unavailable,
    Failure,
}
