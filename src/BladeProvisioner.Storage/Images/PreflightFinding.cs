namespace BladeProvisioner.Storage.Images;

/// <summary>One line of an image preflight: <see cref="Level"/> is <c>ok</c>, <c>warning</c> or <c>error</c>.</summary>
public sealed record PreflightFinding(string Level, string Check, string Message)
{
    public const string Ok = "ok";
    public const string Warning = "warning";
    public const string Error = "error";
}
