using BladeProvisioner.Core.Model;
using Npgsql;
using NpgsqlTypes;

namespace BladeProvisioner.Jobs;

/// <summary>The job rows, read and written with plain SQL: the hot path of progress reporting stays cheap.</summary>
internal sealed class JobRowStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    public sealed record Row(
        long Id, string Kind, JobState State, string Parameters, string? Checkpoint, int Attempts, bool CancelRequested,
        long? BladeId, long? DonorImageId, long? BootVolumeId);

    /// <summary>What a claim of a row gives its execution: the attempt number and the epoch that fences the others.</summary>
    public readonly record struct Claim(int Attempt, long Epoch);

    public async Task<Row?> GetAsync(NpgsqlConnection conn, long id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT id, kind, state, parameters::text, checkpoint::text, attempts, cancel_requested, blade_id, donor_image_id, boot_volume_id FROM jobs WHERE id = $1",
            conn);
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct))
        {
            return null;
        }

        return new Row(
            r.GetInt64(0), r.GetString(1), Enum.Parse<JobState>(r.GetString(2)), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
            r.GetInt32(5), r.GetBoolean(6), r.IsDBNull(7) ? null : r.GetInt64(7), r.IsDBNull(8) ? null : r.GetInt64(8), r.IsDBNull(9) ? null : r.GetInt64(9));
    }

    /// <summary>Marks the job running on this node, counts the attempt and takes the next epoch.</summary>
    public async Task<Claim> MarkRunningAsync(NpgsqlConnection conn, long id, string node, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            """
            UPDATE jobs SET state = 'Running', attempts = attempts + 1, epoch = epoch + 1, node = $2,
                            started_at = COALESCE(started_at, $3), updated_at = $3, error = NULL, error_code = NULL
            WHERE id = $1 RETURNING attempts, epoch
            """,
            conn);
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = node });
        cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.GetUtcNow() });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return new Claim(r.GetInt32(0), r.GetInt64(1));
    }

    /// <summary>Whether the execution holding <paramref name="epoch"/> still owns the running row.</summary>
    public async Task<bool> OwnsAsync(long id, long epoch, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM jobs WHERE id = $1 AND epoch = $2 AND state = 'Running')");
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = epoch });
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// Writes progress (and the checkpoint, when given) for the execution holding <paramref name="epoch"/>; returns
    /// whether the user asked to cancel.
    /// </summary>
    /// <exception cref="JobFencedException">Another execution owns the row now.</exception>
    public async Task<bool> ReportProgressAsync(long id, long epoch, long done, long total, double rate, string? checkpoint, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            """
            UPDATE jobs SET progress_done = $2, progress_total = $3, rate = $4, checkpoint = COALESCE($5, checkpoint), updated_at = $6
            WHERE id = $1 AND epoch = $7 AND state = 'Running' RETURNING cancel_requested
            """);
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = Math.Max(0, done) });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = Math.Max(0, total) });
        cmd.Parameters.Add(new NpgsqlParameter<double> { TypedValue = rate });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)checkpoint ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Jsonb });
        cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.GetUtcNow() });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = epoch });
        return await cmd.ExecuteScalarAsync(ct) is bool cancel ? cancel : throw new JobFencedException(id);
    }

    /// <summary>
    /// Final state. Only a job still Queued or Running (on this claim, when <paramref name="epoch"/> is given) is
    /// finished, so a finish happens once and never by an execution that was overtaken.
    /// </summary>
    public async Task<bool> FinishAsync(NpgsqlConnection conn, long id, long? epoch, JobState state, string? error, string? errorCode, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            """
            UPDATE jobs SET state = $2, error = $3, error_code = $4, finished_at = $5, updated_at = $5,
                            progress_done = CASE WHEN $2 = 'Succeeded' THEN GREATEST(progress_done, progress_total) ELSE progress_done END,
                            rate = 0
            WHERE id = $1 AND state IN ('Running', 'Queued') AND ($6::bigint IS NULL OR epoch = $6)
            """,
            conn);
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = state.ToString() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)errorCode ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = time.GetUtcNow() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)epoch ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }
}
