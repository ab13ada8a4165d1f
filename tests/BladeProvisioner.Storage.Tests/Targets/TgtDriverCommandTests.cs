using BladeProvisioner.Core.Security;
using BladeProvisioner.Platform.Processes;
using BladeProvisioner.Storage.Targets;
using BladeProvisioner.Storage.Targets.Tgt;
using BladeProvisioner.Storage.Targets.Tgt.Ipc;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace BladeProvisioner.Storage.Tests.Targets;

public sealed class TgtDriverCommandTests : IDisposable
{
    private const string Prefix = "ip netns exec bptgt-unit tgtadm --lld iscsi";
    private readonly string _backing = Path.GetTempFileName();

    public void Dispose() => File.Delete(_backing);

    private TargetSpec Spec(string secret = "Abcdefgh23456789") => new(
        "iqn.2026-01.test.bp:blade.1", 1, _backing, "BP0000000112345678", "6001405abcdef0123456789abcdef012",
        "iqn.2026-01.test.bp:initiator.1", "bp-blade-1", secret);

    private static TgtDriver Driver(RecordingRunner runner, string accounts = "Account list:\n") => Driver(runner, new RecordingIpc(runner, accounts));

    private static TgtDriver Driver(RecordingRunner runner, RecordingIpc ipc) => new(
        runner,
        ipc,
        Options.Create(new TargetsOptions { NetworkNamespace = "bptgt-unit" }),
        NullLogger<TgtDriver>.Instance);

    private static Func<ProcessSpec, ProcessResult?> Tgtd(string targets) => spec =>
        spec.Arguments.Contains("show") ? RecordingRunner.Output(targets) : null;

    [Fact]
    public async Task NewTargetGetsLunIdentityAndChapBeforeItsAcl()
    {
        var runner = new RecordingRunner(Tgtd(string.Empty));
        await Driver(runner).EnsureTargetAsync(Spec(), TestContext.Current.CancellationToken);

        Assert.Equal(
        [
            $"{Prefix} --op show --mode target",
            "ipc account show",
            $"{Prefix} --op new --mode target --tid 1 --targetname iqn.2026-01.test.bp:blade.1",
            $"{Prefix} --op new --mode logicalunit --tid 1 --lun 1 --backing-store {_backing}",
            $"{Prefix} --op update --mode logicalunit --tid 1 --lun 1 --params scsi_sn=BP0000000112345678,scsi_id=6001405abcdef0123456789abcdef012",
            "ipc account new user=bp-blade-1 password=***",
            "ipc account bind tid=1 user=bp-blade-1",
            $"{Prefix} --op bind --mode target --tid 1 --initiator-name iqn.2026-01.test.bp:initiator.1",
        ],
        runner.Lines);
    }

    [Fact]
    public async Task NoPasswordIsEverAProgramArgumentOnlyASocketRequest()
    {
        var runner = new RecordingRunner(Tgtd(string.Empty));
        var ipc = new RecordingIpc(runner);
        var spec = Spec() with { MutualChapUser = "bp-target-1", MutualChapSecret = "Zyxwvuts98765432" };
        await Driver(runner, ipc).EnsureTargetAsync(spec, TestContext.Current.CancellationToken);

        Assert.All(runner.Calls, c => Assert.DoesNotContain(c.Arguments, a => a.Contains("Abcdefgh23456789", StringComparison.Ordinal) || a.Contains("Zyxwvuts98765432", StringComparison.Ordinal)));
        Assert.Equal(["Abcdefgh23456789", "Zyxwvuts98765432"], ipc.Requests.Where(r => r.Password is not null).Select(r => r.Password));
        Assert.Contains(ipc.Requests, r => r is { Op: TgtIpcOp.Bind, Outgoing: true, Tid: 1 });
        Assert.All(ipc.Requests, r => Assert.DoesNotContain("Zyxwvuts98765432", r.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnUnverifiableSecretIsReplacedWhileALockAccountKeepsChapRequired()
    {
        const string Live = """
            Target 3: iqn.2026-01.test.bp:blade.1
                LUN information:
                    LUN: 1
                        Type: disk
                        SCSI ID: 6001405abcdef0123456789abcdef012
                        SCSI SN: BP0000000112345678
                        Backing store path: {0}
                Account information:
                    bp-blade-1
                ACL information:
                    iqn.2026-01.test.bp:initiator.1
            """;
        var runner = new RecordingRunner(Tgtd(Live.Replace("{0}", _backing, StringComparison.Ordinal)));
        var ipc = new RecordingIpc(runner, "Account list:\n    bp-blade-1\n");
        await Driver(runner, ipc).EnsureTargetAsync(Spec(), TestContext.Current.CancellationToken);

        Assert.Equal(
        [
            "ipc account delete user=bp-lock-3",
            "ipc account new user=bp-lock-3 password=***",
            "ipc account bind tid=3 user=bp-lock-3",
            "ipc account delete user=bp-blade-1",
            "ipc account new user=bp-blade-1 password=***",
            "ipc account bind tid=3 user=bp-blade-1",
            "ipc account delete user=bp-lock-3",
        ],
        runner.Lines.Skip(2));
        var passwords = ipc.Requests.Where(r => r.Password is not null).Select(r => r.Password!).ToList();
        Assert.Equal(ChapSecret.Length, passwords[0].Length);
        Assert.Equal("Abcdefgh23456789", passwords[1]);
    }

    [Fact]
    public async Task RemovalUnbindsTheAclThenDeletesAccountsThenTheTarget()
    {
        const string Live = """
            Target 2: iqn.2026-01.test.bp:blade.1
                Account information:
                    bp-blade-1
                    bp-target-1 (outgoing)
                ACL information:
                    iqn.2026-01.test.bp:initiator.1
            """;
        var runner = new RecordingRunner(Tgtd(Live));
        await Driver(runner).RemoveTargetAsync("iqn.2026-01.test.bp:blade.1", TestContext.Current.CancellationToken);

        Assert.Equal(
        [
            $"{Prefix} --op show --mode target",
            $"{Prefix} --op unbind --mode target --tid 2 --initiator-name iqn.2026-01.test.bp:initiator.1",
            "ipc account delete user=bp-blade-1",
            "ipc account delete user=bp-target-1",
            $"{Prefix} --op delete --mode target --tid 2 --force",
        ],
        runner.Lines);
    }

    [Fact]
    public async Task RemovingAnAbsentTargetDoesNothing()
    {
        var runner = new RecordingRunner(Tgtd(string.Empty));
        await Driver(runner).RemoveTargetAsync("iqn.2026-01.test.bp:blade.9", TestContext.Current.CancellationToken);
        Assert.Equal([$"{Prefix} --op show --mode target"], runner.Lines);
    }

    [Fact]
    public void TidIsTheFirstFreeNumber()
    {
        static TgtShowParser.Target T(int tid) => new(tid, $"iqn.2026-01.a.b:t{tid}");
        Assert.Equal(1, TgtDriver.FirstFreeTid([]));
        Assert.Equal(3, TgtDriver.FirstFreeTid([T(1), T(2), T(4)]));
        Assert.Equal(1, TgtDriver.FirstFreeTid([T(2)]));
    }

    [Fact]
    public async Task WithoutANamespaceTgtadmRunsDirectlyWithTheControlPort()
    {
        var runner = new RecordingRunner(_ => null);
        var driver = new TgtDriver(runner, Options.Create(new TargetsOptions { ControlPort = 7 }), NullLogger<TgtDriver>.Instance);
        Assert.True(await driver.IsRunningAsync(TestContext.Current.CancellationToken));
        Assert.Equal(["tgtadm --control-port 7 --lld iscsi --op show --mode sys"], runner.Lines);
    }

    [Fact]
    public void SpecTextNeverShowsSecrets()
    {
        var spec = Spec() with { MutualChapUser = "bp-target-1", MutualChapSecret = "Zyxwvuts98765432" };
        var text = spec.ToString();
        Assert.DoesNotContain("Abcdefgh23456789", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Zyxwvuts98765432", text, StringComparison.Ordinal);
        Assert.Contains("bp-target-1", text, StringComparison.Ordinal);
    }

    private const string LiveWithBootLun = """
        Target 3: iqn.2026-01.test.bp:blade.1
            LUN information:
                LUN: 1
                    Type: disk
                    SCSI ID: 6001405abcdef0123456789abcdef012
                    SCSI SN: BP0000000112345678
                    Backing store path: {0}
            Account information:
                bp-blade-1
            ACL information:
                iqn.2026-01.test.bp:initiator.1
        """;

    private TargetSpec WithSeed() => Spec() with { ExtraLuns = [new TargetLun(2, _backing + ".seed", "BP0000000112345679", "6001405abcdef0123456789abcdef013")] };

    [Fact]
    public async Task ASeedLunIsAddedBesideTheBootLunBeforeTheAcl()
    {
        File.WriteAllBytes(_backing + ".seed", new byte[4096]);
        try
        {
            var runner = new RecordingRunner(Tgtd(string.Empty));
            await Driver(runner).EnsureTargetAsync(WithSeed(), TestContext.Current.CancellationToken);
            var lines = runner.Lines.ToList();
            var seed = lines.IndexOf($"{Prefix} --op new --mode logicalunit --tid 1 --lun 2 --backing-store {_backing}.seed");
            Assert.True(seed > lines.IndexOf($"{Prefix} --op new --mode logicalunit --tid 1 --lun 1 --backing-store {_backing}"), string.Join('\n', lines));
            Assert.Contains($"{Prefix} --op update --mode logicalunit --tid 1 --lun 2 --params scsi_sn=BP0000000112345679,scsi_id=6001405abcdef0123456789abcdef013", lines);
            Assert.True(seed < lines.FindIndex(l => l.Contains("--op bind --mode target", StringComparison.Ordinal)), "the seed LUN exists before the initiator is admitted");
        }
        finally
        {
            File.Delete(_backing + ".seed");
        }
    }

    [Fact]
    public async Task ATargetMissingItsSeedLunGetsItBackAndDriftSaysSo()
    {
        File.WriteAllBytes(_backing + ".seed", new byte[4096]);
        try
        {
            var live = LiveWithBootLun.Replace("{0}", _backing, StringComparison.Ordinal);
            var runner = new RecordingRunner(Tgtd(live));
            var ipc = new RecordingIpc(runner, "Account list:\n    bp-blade-1\n");
            var driver = Driver(runner, ipc);
            var listed = (await driver.ListAsync(TestContext.Current.CancellationToken)).Single();
            Assert.Contains("LUN 2 missing", BladeProvisioner.Storage.Targets.Reconciler.TargetDrift.Describe(WithSeed(), listed));
            Assert.Empty(BladeProvisioner.Storage.Targets.Reconciler.TargetDrift.Describe(Spec(), listed));
            var before = runner.Lines.Count;
            await driver.EnsureTargetAsync(WithSeed(), TestContext.Current.CancellationToken);
            var ensured = runner.Lines.Skip(before).ToList();
            Assert.Contains($"{Prefix} --op new --mode logicalunit --tid 3 --lun 2 --backing-store {_backing}.seed", ensured);
            Assert.DoesNotContain(ensured, l => l.Contains("--lun 1 --backing-store", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(_backing + ".seed");
        }
    }

    [Fact]
    public async Task ASeedLunNoLongerWantedIsRemoved()
    {
        var live = LiveWithBootLun.Replace("{0}", _backing, StringComparison.Ordinal).Replace(
            "    Account information:",
            "        LUN: 2\n            Type: disk\n            SCSI ID: 6001405abcdef0123456789abcdef013\n            SCSI SN: BP0000000112345679\n            Backing store path: /old.seed\n    Account information:",
            StringComparison.Ordinal);
        var runner = new RecordingRunner(Tgtd(live));
        var ipc = new RecordingIpc(runner, "Account list:\n    bp-blade-1\n");
        var driver = Driver(runner, ipc);
        Assert.Contains("unexpected LUN 2", BladeProvisioner.Storage.Targets.Reconciler.TargetDrift.Describe(Spec(), (await driver.ListAsync(TestContext.Current.CancellationToken)).Single()));
        await driver.EnsureTargetAsync(Spec(), TestContext.Current.CancellationToken);
        Assert.Contains($"{Prefix} --op delete --mode logicalunit --tid 3 --lun 2", runner.Lines);
    }
}
