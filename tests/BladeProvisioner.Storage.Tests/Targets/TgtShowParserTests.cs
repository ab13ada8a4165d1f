using BladeProvisioner.Storage.Targets.Tgt;

namespace BladeProvisioner.Storage.Tests.Targets;

public sealed class TgtShowParserTests
{
    // Captured from tgt 1.0.85 with one session, a mutual CHAP account and a second empty target.
    private const string Show = """
        Target 1: iqn.2026-01.test.bp:blade.1
            System information:
                Driver: iscsi
                State: ready
            I_T nexus information:
                I_T nexus: 7
                    Initiator: iqn.2026-01.test.bp:initiator.1 alias: none
                    Connection: 0
                        IP Address: 10.99.59.2
            LUN information:
                LUN: 0
                    Type: controller
                    SCSI ID: IET     00010000
                    SCSI SN: beaf10
                    Size: 0 MB, Block size: 1
                    Online: Yes
                    Backing store type: null
                    Backing store path: None
                    Backing store flags: 
                LUN: 1
                    Type: disk
                    SCSI ID: 6001405abcdef0123456789abcdef012
                    SCSI SN: BP0000000112345678
                    Size: 4 MB, Block size: 512
                    Online: Yes
                    Backing store type: rdwr
                    Backing store path: /tmp/bptgt-exp/a.img
                    Backing store flags: 
            Account information:
                bp-blade-1
                bp-target-1 (outgoing)
            ACL information:
                iqn.2026-01.test.bp:initiator.1
        Target 2: iqn.2026-01.test.bp:blade.2
            System information:
                Driver: iscsi
                State: ready
            I_T nexus information:
            LUN information:
                LUN: 0
                    Type: controller
                    SCSI ID: IET     00020000
                    SCSI SN: beaf20
                    Backing store path: None
            Account information:
            ACL information:
        """;

    [Fact]
    public void ReadsTargetsLunsAccountsAclsAndSessions()
    {
        Assert.True(TgtShowParser.TryParse(Show, out var targets));
        Assert.Equal(2, targets.Count);
        var t = targets[0];
        Assert.Equal(1, t.Tid);
        Assert.Equal("iqn.2026-01.test.bp:blade.1", t.Iqn);
        Assert.Equal(2, t.Luns.Count);
        Assert.True(t.Luns[0].IsController);
        Assert.Null(t.Luns[0].BackingPath);
        var lun = t.Luns[1];
        Assert.Equal(1, lun.Lun);
        Assert.False(lun.IsController);
        Assert.Equal("/tmp/bptgt-exp/a.img", lun.BackingPath);
        Assert.Equal("BP0000000112345678", lun.ScsiSerial);
        Assert.Equal("6001405abcdef0123456789abcdef012", lun.Wwn);
        Assert.Equal(4_000_000, lun.SizeBytes);
        Assert.Equal(["bp-blade-1"], t.Incoming);
        Assert.Equal(["bp-target-1"], t.Outgoing);
        Assert.Equal(["iqn.2026-01.test.bp:initiator.1"], t.Acl);
        var session = Assert.Single(t.Sessions);
        Assert.Equal("7", session.Id);
        Assert.Equal("iqn.2026-01.test.bp:initiator.1", session.Initiator);
        Assert.Equal(["10.99.59.2"], session.Addresses);

        var empty = targets[1];
        Assert.Equal(2, empty.Tid);
        Assert.Single(empty.Luns);
        Assert.Empty(empty.Incoming);
        Assert.Empty(empty.Acl);
        Assert.Empty(empty.Sessions);
    }

    [Theory]
    [InlineData("")]
    [InlineData("tgtadm: can't send the request to the tgt daemon\n")]
    [InlineData("    LUN information:\n        LUN: 1\n")]
    public void NothingListedYieldsNoTargets(string text)
    {
        Assert.True(TgtShowParser.TryParse(text, out var targets));
        Assert.Empty(targets);
    }

    [Theory]
    [InlineData("Target x: iqn.2026-01.a.b:c\n")]
    [InlineData("Target : iqn.2026-01.a.b:c\n")]
    public void MalformedTargetHeaderIsSkipped(string text)
    {
        Assert.True(TgtShowParser.TryParse(text, out var targets));
        Assert.Empty(targets);
    }

    [Fact]
    public void NonNumericLunFailsTheParse()
    {
        const string Text = "Target 1: iqn.2026-01.a.b:c\n    LUN information:\n        LUN: one\n";
        Assert.False(TgtShowParser.TryParse(Text, out _));
    }

    [Fact]
    public void AccountListIsOneUserPerIndentedLine()
    {
        Assert.Equal(["bp-target-1", "bp-blade-1"], TgtShowParser.ParseAccounts("Account list:\n    bp-target-1\n    bp-blade-1\n"));
        Assert.Empty(TgtShowParser.ParseAccounts("Account list:\n"));
    }
}
