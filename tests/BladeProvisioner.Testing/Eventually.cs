namespace BladeProvisioner.Testing;

/// <summary>
/// Reads something the appliance writes asynchronously (timeline events are queued, then written by a background
/// writer) until it satisfies a condition or a deadline passes; the caller's assertions then decide.
/// </summary>
public static class Eventually
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(done);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        var value = await read();
        while (!done(value) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            value = await read();
        }

        return value;
    }
}
