namespace BladeProvisioner.Bench.Storm;

/// <summary>One blade's outcome: stage times in seconds, retries, what it read from its LUN, or where it failed.</summary>
internal sealed class BladeResult
{
    public int Index { get; init; }
    public string Mac { get; set; } = string.Empty;
    public string Firmware { get; set; } = string.Empty;
    public string? Address { get; set; }
    public bool Ok { get; set; }
    public string Stage { get; set; } = "start";
    public string? Error { get; set; }
    public string? LastRefusal { get; set; }
    public int Retries { get; set; }

    /// <summary>HTTP requests that got no answer within the timeout (each also a restart, so a retry).</summary>
    public int HttpTimeouts { get; set; }
    public long TftpBytes { get; set; }
    public long LunBytes { get; set; }
    public bool LunNonZero { get; set; }
    public bool MutualChap { get; set; }
    public string? LunSha256 { get; set; }

    /// <summary>Of the bytes after sector 0, where personalisation gives each clone its own MBR disk identifier.</summary>
    public string? LunAfterSector0Sha256 { get; set; }
    public Dictionary<string, double> Stages { get; } = [];
}
