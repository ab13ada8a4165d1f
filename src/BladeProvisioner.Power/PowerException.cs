namespace BladeProvisioner.Power;

/// <summary>A power operation failed. <see cref="Code"/> is one of <see cref="PowerErrorCodes"/>; the message never holds a secret.</summary>
public sealed class PowerException : Exception
{
    public PowerException(string code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    public PowerException()
        : this(PowerErrorCodes.CommandFailed, "The power operation failed.")
    {
    }

    public PowerException(string message)
        : this(PowerErrorCodes.CommandFailed, message)
    {
    }

    public PowerException(string message, Exception innerException)
        : this(PowerErrorCodes.CommandFailed, message, innerException)
    {
    }

    public string Code { get; }
}
