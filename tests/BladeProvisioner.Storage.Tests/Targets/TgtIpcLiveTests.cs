using BladeProvisioner.Storage.Targets.Tgt.Ipc;
using BladeProvisioner.Storage.Tests.Targets.Lab;
using Who = BladeProvisioner.Storage.Tests.Targets.Lab.Initiator.Credentials;

namespace BladeProvisioner.Storage.Tests.Targets;

/// <summary>Our management client against the real tgtd of Debian 12 (tgt 1.0.85), checked with tgtadm and real logins.</summary>
public sealed class TgtIpcLiveTests(TgtLabFixture fixture) : IClassFixture<TgtLabFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AccountsMadeOverTheSocketAreTheOnesTgtadmShowsAndLoginsCheck()
    {
        var lab = fixture.Require();
        var (spec, _) = lab.NewBlade(961, mutual: true);
        await lab.CreateDriver().EnsureTargetAsync(spec, Ct);

        var accounts = (await lab.TgtadmAsync("--op", "show", "--mode", "account")).StdoutText;
        Assert.Contains("    " + spec.ChapUser + "\n", accounts, StringComparison.Ordinal);
        Assert.Contains("    " + spec.MutualChapUser + "\n", accounts, StringComparison.Ordinal);
        var targets = (await lab.TgtadmAsync("--op", "show", "--mode", "target")).StdoutText;
        Assert.Contains(spec.MutualChapUser + " (outgoing)", targets, StringComparison.Ordinal);

        var good = Who.Of(spec);
        Assert.Equal(0, (await lab.Initiator.InquireAsync(spec.TargetIqn, 1, good)).ExitCode);
        var wrong = await lab.Initiator.InquireAsync(spec.TargetIqn, 1, good with { Secret = "Wrong" + good.Secret![5..] });
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains("Failed to log in", wrong.Stderr, StringComparison.Ordinal);
        var impostor = await lab.Initiator.InquireAsync(spec.TargetIqn, 1, good with { MutualSecret = "Wrong" + good.MutualSecret![5..] });
        Assert.NotEqual(0, impostor.ExitCode);
    }

    [Fact]
    public async Task ShowOverTheSocketReadsWhatTgtadmPrints()
    {
        var lab = fixture.Require();
        var ipc = new TgtIpcClient(TgtIpcClient.SocketPathFor(lab.ControlPort));
        await ipc.SendAsync(TgtIpcRequest.Account(TgtIpcOp.New, "bp-ipc-show") with { Password = "Abcdefgh23456789" }, Ct);
        try
        {
            var ours = await ipc.SendAsync(new TgtIpcRequest(TgtIpcMode.Account, TgtIpcOp.Show), Ct);
            var theirs = (await lab.TgtadmAsync("--op", "show", "--mode", "account")).StdoutText;
            Assert.Equal(theirs, ours);
            Assert.Contains("    bp-ipc-show\n", ours, StringComparison.Ordinal);
        }
        finally
        {
            await ipc.SendAsync(TgtIpcRequest.Account(TgtIpcOp.Delete, "bp-ipc-show"), Ct);
        }
    }

    [Fact]
    public async Task RefusalsAreTypedAndNameTheOperationButNeverThePassword()
    {
        var lab = fixture.Require();
        var ipc = new TgtIpcClient(TgtIpcClient.SocketPathFor(lab.ControlPort));
        var create = TgtIpcRequest.Account(TgtIpcOp.New, "bp-ipc-dup") with { Password = "Secret0123456789" };
        await ipc.SendAsync(create, Ct);
        try
        {
            var again = await Assert.ThrowsAsync<TgtIpcException>(() => ipc.SendAsync(create with { Password = "Other0123456789x" }, Ct));
            Assert.Equal(TgtIpcError.UserExists, again.Error);
            Assert.Contains("account new user=bp-ipc-dup", again.Message, StringComparison.Ordinal);
            Assert.Contains("this account already exists", again.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("Other0123456789x", again.ToString(), StringComparison.Ordinal);

            var noUser = await Assert.ThrowsAsync<TgtIpcException>(() => ipc.SendAsync(TgtIpcRequest.Account(TgtIpcOp.Bind, "bp-ipc-nobody") with { Tid = 1 }, Ct));
            Assert.True(noUser.Error is TgtIpcError.NoUser or TgtIpcError.NoTarget, noUser.Message);

            var noTarget = await Assert.ThrowsAsync<TgtIpcException>(() => ipc.SendAsync(TgtIpcRequest.Account(TgtIpcOp.Bind, "bp-ipc-dup") with { Tid = 4000 }, Ct));
            Assert.Equal(TgtIpcError.NoTarget, noTarget.Error);
            Assert.Contains("account bind tid=4000 user=bp-ipc-dup", noTarget.Message, StringComparison.Ordinal);
        }
        finally
        {
            await ipc.SendAsync(TgtIpcRequest.Account(TgtIpcOp.Delete, "bp-ipc-dup"), Ct);
        }
    }

    [Fact]
    public async Task NoTgtdIsAnErrorWithoutATgtdCode()
    {
        var ipc = new TgtIpcClient(Path.Combine(Path.GetTempPath(), $"bp-no-tgtd-{Guid.NewGuid():N}"));
        var ex = await Assert.ThrowsAsync<TgtIpcException>(() => ipc.SendAsync(TgtIpcRequest.Account(TgtIpcOp.New, "a") with { Password = "Abcdefgh23456789" }, Ct));
        Assert.Null(ex.Error);
        Assert.Contains("cannot talk to tgtd", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Abcdefgh23456789", ex.ToString(), StringComparison.Ordinal);
    }
}
