namespace BladeProvisioner.Data;

/// <summary>
/// The Data module's <c>[LoggerMessage]</c> event ids, in one place so that they stay unique and stable (a test checks
/// uniqueness across every BladeProvisioner assembly). Never reuse or renumber one: log queries match on them.
/// </summary>
internal static class DataEventIds
{
    // DatabaseStartup
    public const int DatabaseWaiting = 1001;

    // Postgres/EmbeddedPostgres
    public const int PostgresInitializing = 1101;
    public const int PostgresStarting = 1102;
    public const int PostgresReusing = 1103;
    public const int PostgresStopping = 1104;

    // Migrations/MigrationRunner
    public const int MigrationApplying = 1201;
    public const int MigrationDone = 1202;
    public const int SchemaInstalling = 1203;

    // Timeline/TimelineWriter
    public const int TimelineRetry = 1301;
    public const int TimelineDropped = 1302;

    // Security/KeyRingCheck
    public const int KeyRingUnencrypted = 1401;
    public const int KeyRingPlaintextKeys = 1402;

    // Blades/BladeDirectory
    public const int EnrolmentRefused = 1411;
}
