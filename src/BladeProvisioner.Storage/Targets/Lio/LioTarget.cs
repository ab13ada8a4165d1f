namespace BladeProvisioner.Storage.Targets.Lio;

/// <summary>One LIO target (TPG 1) as configfs shows it.</summary>
internal sealed record LioTarget(string Iqn, List<LiveLun> Luns, List<LioAcl> Acls);

/// <summary>An ACL with its CHAP settings and, when logged in, the session's connection addresses.</summary>
internal sealed record LioAcl(
    string Initiator, string? UserId, string? Password, string? MutualUserId, string? MutualPassword, List<string> SessionAddresses);
