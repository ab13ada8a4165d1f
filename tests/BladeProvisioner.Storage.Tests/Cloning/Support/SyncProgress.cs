namespace BladeProvisioner.Storage.Tests.Cloning.Support;

/// <summary>Runs the callback on the reporting thread (Progress&lt;T&gt; would post it asynchronously).</summary>
internal sealed class SyncProgress<T>(Action<T> onReport) : IProgress<T>
{
    public void Report(T value) => onReport(value);
}
