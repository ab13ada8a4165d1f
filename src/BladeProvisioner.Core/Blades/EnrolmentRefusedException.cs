namespace BladeProvisioner.Core.Blades;

/// <summary>
/// <see cref="IBladeDirectory.SightAsync"/> would not enrol a new MAC: the ceiling on unclaimed blades is reached, or
/// the sighting's source is over its enrolment rate. Known blades are never refused. Callers answer without a blade
/// profile and need not log it: the directory counts refusals and records them on the timeline once per interval.
/// </summary>
public sealed class EnrolmentRefusedException : Exception
{
    public EnrolmentRefusedException(string limit, string message)
        : base(message)
    {
        Limit = limit;
    }

    public EnrolmentRefusedException()
        : this(CapLimit, "Enrolment refused.")
    {
    }

    public EnrolmentRefusedException(string message)
        : this(CapLimit, message)
    {
    }

    public EnrolmentRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Limit = CapLimit;
    }

    /// <summary><c>Enrolment:MaxUnclaimedBlades</c> is reached.</summary>
    public const string CapLimit = "cap";

    /// <summary>The source is over <c>Enrolment:PerSourcePerMinute</c>.</summary>
    public const string RateLimit = "rate";

    /// <summary><see cref="CapLimit"/> or <see cref="RateLimit"/>.</summary>
    public string Limit { get; }
}
