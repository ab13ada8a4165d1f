using BladeProvisioner.Testing;

namespace BladeProvisioner.Appliance.Tests;

internal static class TestJobs
{
    /// <summary>Polls a job on a real appliance process until <paramref name="condition"/> holds; the log on timeout.</summary>
    public static async Task<JobDto> WaitAsync(ApplianceProcess appliance, long jobId, Func<JobDto, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        JobDto? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await appliance.GetAsync<JobDto>($"api/jobs/{jobId}");
            if (condition(last))
            {
                return last;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Job {jobId} did not reach the expected state; last seen {last}.\n{appliance.Log()}");
    }
}
