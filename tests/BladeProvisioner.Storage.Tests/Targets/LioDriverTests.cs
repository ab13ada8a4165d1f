using BladeProvisioner.Storage.Targets;
using BladeProvisioner.Storage.Targets.Lio;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Storage.Tests.Targets;

/// <summary>LIO cannot run on these machines (no configfs): its command layer and configfs reader are tested here.</summary>
public sealed class LioDriverTests : IDisposable
{
    private const string Iqn = "iqn.2026-01.test.bp:blade.17";
    private const string Initiator = "iqn.2026-01.test.bp:initiator.525400000017";
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("bptgt-lio-");

    public void Dispose() => _root.Delete(recursive: true);

    private static TargetSpec Spec(bool mutual = false) => new(
        Iqn, 1, "/var/lib/bp/volumes/17.img", "BP00000011A1B2C3D4", "6001405abcdef0123456789abcdef012",
        Initiator, "bp-blade-17", "Abcdefgh23456789")
    {
        MutualChapUser = mutual ? "bp-target-17" : null,
        MutualChapSecret = mutual ? "Zyxwvuts98765432" : null,
    };

    private LioDriver Driver(RecordingRunner runner, string portal = "10.99.50.1") => new(
        runner,
        Options.Create(new TargetsOptions { Driver = TargetDriverKind.Lio, PortalAddress = portal, ConfigFsRoot = _root.FullName }),
        NullLogger<LioDriver>.Instance);

    [Fact]
    public async Task NewTargetIsBuiltWithTheExactTargetcliSequence()
    {
        var runner = new RecordingRunner();
        await Driver(runner).EnsureTargetAsync(Spec(mutual: true), TestContext.Current.CancellationToken);

        Assert.Equal(
        [
            "targetcli /backstores/fileio create name=bp_blade_17 file_or_dev=/var/lib/bp/volumes/17.img wwn=BP00000011A1B2C3D4",
            $"targetcli /iscsi create {Iqn}",
            $"targetcli /iscsi/{Iqn}/tpg1/portals delete 0.0.0.0 3260",
            $"targetcli /iscsi/{Iqn}/tpg1/portals create 10.99.50.1 3260",
            $"targetcli /iscsi/{Iqn}/tpg1/luns create /backstores/fileio/bp_blade_17 lun=1 add_mapped_luns=false",
            $"targetcli /iscsi/{Iqn}/tpg1/acls create {Initiator} add_mapped_luns=false",
            $"targetcli /iscsi/{Iqn}/tpg1/acls/{Initiator} create mapped_lun=1 tpg_lun_or_backstore=1",
            $"targetcli /iscsi/{Iqn}/tpg1/acls/{Initiator} set auth userid=bp-blade-17 password=Abcdefgh23456789 mutual_userid=bp-target-17 mutual_password=Zyxwvuts98765432",
            $"targetcli /iscsi/{Iqn}/tpg1 set attribute authentication=1 generate_node_acls=0 demo_mode_write_protect=1",
            "targetcli saveconfig",
        ],
        runner.Lines);
        Assert.All(runner.Calls, c => Assert.DoesNotContain("Abcdefgh23456789", c.Display(), StringComparison.Ordinal));
        Assert.All(runner.Calls, c => Assert.DoesNotContain("Zyxwvuts98765432", c.Display(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task DefaultPortalIsKept()
    {
        var runner = new RecordingRunner();
        await Driver(runner, portal: "0.0.0.0").EnsureTargetAsync(Spec(), TestContext.Current.CancellationToken);
        Assert.DoesNotContain(runner.Lines, l => l.Contains("/portals", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LiveTargetIsReadFromConfigFs()
    {
        WriteLiveTarget(password: "Abcdefgh23456789", session: true);
        var list = await Driver(new RecordingRunner()).ListAsync(TestContext.Current.CancellationToken);

        var t = Assert.Single(list);
        Assert.Equal(Iqn, t.Iqn);
        var lun = Assert.Single(t.Luns);
        Assert.Equal(1, lun.Lun);
        Assert.Equal("/var/lib/bp/volumes/17.img", lun.BackingPath);
        Assert.Equal("BP00000011A1B2C3D4", lun.ScsiSerial);
        Assert.Null(lun.Wwn);
        Assert.Equal([Initiator], t.Acl);
        Assert.Equal(["bp-blade-17"], t.IncomingUsers);
        var session = Assert.Single(t.Sessions);
        Assert.Equal(["10.99.50.2"], session.Addresses);
    }

    [Fact]
    public async Task MatchingTargetNeedsNoCommands()
    {
        WriteLiveTarget(password: "Abcdefgh23456789", session: false);
        var runner = new RecordingRunner();
        await Driver(runner).EnsureTargetAsync(Spec(), TestContext.Current.CancellationToken);
        Assert.Empty(runner.Calls);
    }

    [Fact]
    public async Task ChangedSecretIsSetOnTheAclInPlace()
    {
        WriteLiveTarget(password: "OldSecretOld2345", session: false);
        var runner = new RecordingRunner();
        await Driver(runner).EnsureTargetAsync(Spec(), TestContext.Current.CancellationToken);
        Assert.Equal(
        [
            $"targetcli /iscsi/{Iqn}/tpg1/acls/{Initiator} set auth userid=bp-blade-17 password=Abcdefgh23456789",
            "targetcli saveconfig",
        ],
        runner.Lines);
    }

    [Fact]
    public async Task RemovalDeletesAclsThenTargetThenBackstore()
    {
        WriteLiveTarget(password: "Abcdefgh23456789", session: true);
        var runner = new RecordingRunner();
        await Driver(runner).RemoveTargetAsync(Iqn, TestContext.Current.CancellationToken);
        Assert.Equal(
        [
            $"targetcli /iscsi/{Iqn}/tpg1/acls delete {Initiator}",
            $"targetcli /iscsi delete {Iqn}",
            "targetcli /backstores/fileio delete bp_blade_17",
            "targetcli saveconfig",
        ],
        runner.Lines);
    }

    [Fact]
    public async Task WithoutConfigFsLioIsNotRunning()
    {
        Assert.False(await Driver(new RecordingRunner()).IsRunningAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("T10 VPD Unit Serial Number: BP1\n", "BP1")]
    [InlineData("T10 VPD Unit Serial Number: \n", null)]
    [InlineData("", null)]
    public void SerialIsTakenFromTheVpdFile(string text, string? expected) => Assert.Equal(expected, LioConfigFs.ParseSerial(text));

    /// <summary>The shape of configfs for one target, as the kernel lays it out.</summary>
    private void WriteLiveTarget(string password, bool session)
    {
        var so = Directory.CreateDirectory(Path.Combine(_root.FullName, "core", "fileio_0", "bp_blade_17"));
        File.WriteAllText(Path.Combine(so.FullName, "udev_path"), "/var/lib/bp/volumes/17.img\n");
        Directory.CreateDirectory(Path.Combine(so.FullName, "wwn"));
        File.WriteAllText(Path.Combine(so.FullName, "wwn", "vpd_unit_serial"), "T10 VPD Unit Serial Number: BP00000011A1B2C3D4\n");
        var tpg = Path.Combine(_root.FullName, "iscsi", Iqn, "tpgt_1");
        var lun = Directory.CreateDirectory(Path.Combine(tpg, "lun", "lun_1"));
        File.CreateSymbolicLink(Path.Combine(lun.FullName, "0a1b2c3d4e"), so.FullName);
        var auth = Directory.CreateDirectory(Path.Combine(tpg, "acls", Initiator, "auth"));
        File.WriteAllText(Path.Combine(auth.FullName, "userid"), "bp-blade-17\n");
        File.WriteAllText(Path.Combine(auth.FullName, "password"), password + "\n");
        File.WriteAllText(Path.Combine(auth.FullName, "userid_mut"), "\n");
        File.WriteAllText(Path.Combine(auth.FullName, "password_mut"), "\n");
        File.WriteAllText(
            Path.Combine(tpg, "acls", Initiator, "info"),
            session
                ? $"InitiatorName: {Initiator}\nLIO Session ID: 1   ISID: 0x23d000000   TSIH: 1   SessionType: Normal\n----------------------[iSCSI Connections]-------------------------\nCID: 0  Connection State: TARG_CONN_STATE_LOGGED_IN\n   Address 10.99.50.2 TCP  StatSN: 0x00000011\n"
                : $"No active iSCSI Session for Initiator Endpoint: {Initiator}\n");
    }
}
