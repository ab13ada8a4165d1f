namespace BladeProvisioner.Core.Errors;

/// <summary>
/// A typed, expected failure with a stable code (<c>IMAGE_NOT_ACTIVE</c>, <c>BLADE_NOT_FOUND</c>). The API turns
/// it into ProblemDetails with that code; the boot flow shows its message on the blade's console.
/// </summary>
public sealed class DomainException : Exception
{
    public DomainException(string code, ErrorKind kind, string message)
        : base(message)
    {
        Code = code;
        Kind = kind;
    }

    public DomainException()
        : this(ErrorCodes.Internal, ErrorKind.Failure, "Unexpected failure.")
    {
    }

    public DomainException(string message)
        : this(ErrorCodes.Internal, ErrorKind.Failure, message)
    {
    }

    public DomainException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = ErrorCodes.Internal;
        Kind = ErrorKind.Failure;
    }

    public string Code { get; }
    public ErrorKind Kind { get; }

    public static DomainException NotFound(string code, string message) => new(code, ErrorKind.NotFound, message);
    public static DomainException Conflict(string code, string message) => new(code, ErrorKind.Conflict, message);
    public static DomainException Invalid(string code, string message) => new(code, ErrorKind.Invalid, message);
    public static DomainException InsufficientStorage(string code, string message) => new(code, ErrorKind.InsufficientStorage, message);
}
