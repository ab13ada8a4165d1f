using System.Globalization;

namespace BladeProvisioner.Provisioning;

/// <summary>
/// Test hook: a pause between a clone phase's durable effect and the checkpoint (or row) that records it, the window a
/// kill -9 test must be able to land in. Only the environment variable <see cref="Variable"/> sets it (no configuration
/// key, nothing in appsettings, the unit or the image); absent or unparsable means no pause. At most 10 s.
/// </summary>
internal static class ClonePhasePause
{
    internal const string Variable = "BLADEPROVISIONER_TEST_CLONE_PHASE_PAUSE_MS";

    private static readonly TimeSpan Pause = Read(Environment.GetEnvironmentVariable(Variable));

    public static bool Enabled => Pause > TimeSpan.Zero;

    public static Task AfterEffectAsync(CancellationToken ct) => Enabled ? Task.Delay(Pause, ct) : Task.CompletedTask;

    internal static TimeSpan Read(string? value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms > 0
            ? TimeSpan.FromMilliseconds(Math.Min(ms, 10_000))
            : TimeSpan.Zero;
}
