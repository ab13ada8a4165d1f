namespace BladeProvisioner.Storage.Targets;

/// <summary>A target as the target service reports it right now.</summary>
/// <param name="Tid">The service's own target number (tgt's tid; 0 for LIO, which has none).</param>
/// <param name="Iqn">The target's name.</param>
/// <param name="Luns">Its logical units as the service reports them.</param>
/// <param name="Acl">Initiator names (and, if someone added them by hand, addresses) admitted.</param>
/// <param name="IncomingUsers">CHAP users the initiator may log in as.</param>
/// <param name="OutgoingUsers">Mutual CHAP users the target answers with.</param>
/// <param name="Sessions">Initiators logged in now.</param>
public sealed record LiveTarget(
    int Tid,
    string Iqn,
    IReadOnlyList<LiveLun> Luns,
    IReadOnlyList<string> Acl,
    IReadOnlyList<string> IncomingUsers,
    IReadOnlyList<string> OutgoingUsers,
    IReadOnlyList<LiveSession> Sessions)
{
    public LiveLun? FindLun(int lun) => Luns.FirstOrDefault(l => l.Lun == lun);
}
