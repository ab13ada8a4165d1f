using System.Diagnostics;
using BladeProvisioner.Storage.Targets;
using BladeProvisioner.Storage.Targets.Reconciler;
using BladeProvisioner.Storage.Tests.Targets.Lab;
using Who = BladeProvisioner.Storage.Tests.Targets.Lab.Initiator.Credentials;

namespace BladeProvisioner.Storage.Tests.Targets;

/// <summary>The tgt driver against a real tgtd, with real initiators logging in from another namespace.</summary>
public sealed class TgtDriverLiveTests(TgtLabFixture fixture) : IClassFixture<TgtLabFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task BladeReadsBackExactlyItsBytesWithItsIqnAndChap()
    {
        var lab = fixture.Require();
        var (spec, content) = lab.NewBlade(101);
        await lab.CreateDriver().EnsureTargetAsync(spec, Ct);

        var read = await lab.Initiator.ReadLunAsync(spec.TargetIqn, 1, Who.Of(spec));
        Assert.Equal(content.Length, read.Length);
        Assert.True(content.AsSpan().SequenceEqual(read), "bytes read over iSCSI differ from the backing file");
    }

    [Theory]
    [InlineData("wrong initiator IQN", 200)]
    [InlineData("wrong CHAP secret", 202)]
    [InlineData("no CHAP", 204)]
    [InlineData("another blade's IQN and CHAP", 206)]
    [InlineData("CHAP user of another blade", 208)]
    public async Task LoginIsRefused(string attempt, long id)
    {
        var lab = fixture.Require();
        var (blade, _) = lab.NewBlade(id);
        var (other, _) = lab.NewBlade(id + 1);
        var driver = lab.CreateDriver();
        await driver.EnsureTargetAsync(blade, Ct);
        await driver.EnsureTargetAsync(other, Ct);
        var good = Who.Of(blade);
        Who who = attempt switch
        {
            "wrong initiator IQN" => good with { InitiatorIqn = lab.Iqns.Initiator("52:54:00:ff:ff:ff") },
            "wrong CHAP secret" => good with { Secret = "Wrong" + good.Secret![5..] },
            "no CHAP" => good with { User = null, Secret = null },
            "another blade's IQN and CHAP" => Who.Of(other),
            "CHAP user of another blade" => good with { User = other.ChapUser, Secret = other.ChapSecret },
            _ => throw new ArgumentOutOfRangeException(nameof(attempt)),
        };

        // The blade itself gets in, so the refusal is about the credentials and nothing else.
        Assert.Equal(0, (await lab.Initiator.InquireAsync(blade.TargetIqn, 1, good)).ExitCode);
        var refused = await lab.Initiator.InquireAsync(blade.TargetIqn, 1, who);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("Failed to log in", refused.Stderr, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => lab.Initiator.ReadLunAsync(blade.TargetIqn, 1, who));
    }

    [Fact]
    public async Task MutualChapProvesTheTargetToTheInitiator()
    {
        var lab = fixture.Require();
        var (spec, _) = lab.NewBlade(301, mutual: true);
        await lab.CreateDriver().EnsureTargetAsync(spec, Ct);

        Assert.Equal(0, (await lab.Initiator.InquireAsync(spec.TargetIqn, 1, Who.Of(spec))).ExitCode);
        var impostor = Who.Of(spec) with { MutualSecret = "Wrong" + spec.MutualChapSecret![5..] };
        var refused = await lab.Initiator.InquireAsync(spec.TargetIqn, 1, impostor);
        Assert.NotEqual(0, refused.ExitCode);
    }

    [Fact]
    public async Task TwoClonesOfOneDonorShowTheirOwnSerialAndWwn()
    {
        var lab = fixture.Require();
        var (a, donor) = lab.NewBlade(401);
        var (b, _) = lab.NewBlade(402);
        await File.WriteAllBytesAsync(b.BackingPath, donor, Ct);
        var driver = lab.CreateDriver();
        await driver.EnsureTargetAsync(a, Ct);
        await driver.EnsureTargetAsync(b, Ct);

        var seen = new List<(string Serial, string Naa)>();
        foreach (var spec in new[] { a, b })
        {
            var serialPage = await lab.Initiator.InquireAsync(spec.TargetIqn, 1, Who.Of(spec), vpdPage: 0x80);
            Assert.Equal(0, serialPage.ExitCode);
            Assert.Contains($"Unit Serial Number:[", serialPage.StdoutText, StringComparison.Ordinal);
            Assert.Contains(spec.ScsiSerial + "]", serialPage.StdoutText, StringComparison.Ordinal);

            var idPage = await lab.Initiator.InquireAsync(spec.TargetIqn, 1, Who.Of(spec), vpdPage: 0x83);
            Assert.Equal(0, idPage.ExitCode);
            var naa = FirstNaaDesignatorHex(idPage.Stdout);

            // iscsi-inq prints the binary designator as a C string, so compare up to a zero byte.
            var expected = spec.Wwn;
            int zero = Enumerable.Range(0, 16).FirstOrDefault(i => expected.Substring(i * 2, 2) == "00", 16);
            Assert.Equal(expected[..(zero * 2)], naa);
            seen.Add((spec.ScsiSerial, spec.Wwn));
        }

        Assert.NotEqual(seen[0].Serial, seen[1].Serial);
        Assert.NotEqual(seen[0].Naa, seen[1].Naa);
        var readA = await lab.Initiator.ReadLunAsync(a.TargetIqn, 1, Who.Of(a));
        var readB = await lab.Initiator.ReadLunAsync(b.TargetIqn, 1, Who.Of(b));
        Assert.True(readA.AsSpan().SequenceEqual(readB) && readA.AsSpan().SequenceEqual(donor), "both clones carry the donor's bytes");
    }

    [Fact]
    public async Task EnsureRepairsDriftMadeByHandAndIsIdempotent()
    {
        var lab = fixture.Require();
        var (spec, _) = lab.NewBlade(501, mutual: true);
        var driver = lab.CreateDriver();
        await driver.EnsureTargetAsync(spec, Ct);
        var tid = (await driver.ListAsync(Ct)).Single(t => t.Iqn == spec.TargetIqn).Tid.ToString(System.Globalization.CultureInfo.InvariantCulture);

        await lab.TgtadmAsync("--op", "update", "--mode", "logicalunit", "--tid", tid, "--lun", "1", "--params", "scsi_sn=TAMPERED");
        await lab.TgtadmAsync("--op", "bind", "--mode", "target", "--tid", tid, "--initiator-address", "ALL");
        await lab.TgtadmAsync("--op", "unbind", "--mode", "account", "--tid", tid, "--user", spec.ChapUser);
        var drifted = (await driver.ListAsync(Ct)).Single(t => t.Iqn == spec.TargetIqn);
        Assert.NotEmpty(TargetDrift.Describe(spec, drifted));

        await driver.EnsureTargetAsync(spec, Ct);
        await driver.EnsureTargetAsync(spec, Ct);
        var repaired = (await driver.ListAsync(Ct)).Single(t => t.Iqn == spec.TargetIqn);
        Assert.Empty(TargetDrift.Describe(spec, repaired));
        Assert.Equal(0, (await lab.Initiator.InquireAsync(spec.TargetIqn, 1, Who.Of(spec))).ExitCode);
        Assert.NotEqual(0, (await lab.Initiator.InquireAsync(spec.TargetIqn, 1, Who.Of(spec) with { User = null, Secret = null })).ExitCode);
    }

    [Fact]
    public async Task ANewSecretReplacesTheOldOneAndLeavesNoLockAccount()
    {
        var lab = fixture.Require();
        var (spec, _) = lab.NewBlade(601);
        await lab.CreateDriver().EnsureTargetAsync(spec, Ct);

        // A fresh driver (an appliance restart) cannot know tgtd's secret and re-asserts it; then the DB rotates it.
        var rotated = spec with { ChapSecret = Core.Security.ChapSecret.Generate() };
        await lab.CreateDriver().EnsureTargetAsync(spec, Ct);
        await lab.CreateDriver().EnsureTargetAsync(rotated, Ct);

        Assert.NotEqual(0, (await lab.Initiator.InquireAsync(spec.TargetIqn, 1, Who.Of(spec))).ExitCode);
        Assert.Equal(0, (await lab.Initiator.InquireAsync(spec.TargetIqn, 1, Who.Of(rotated))).ExitCode);
        var accounts = await lab.TgtadmAsync("--op", "show", "--mode", "account");
        Assert.DoesNotContain("bp-lock-", accounts.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LiveSessionsShowInitiatorAndAddress()
    {
        var lab = fixture.Require();
        var (spec, _) = lab.NewBlade(701);
        var driver = lab.CreateDriver();
        await driver.EnsureTargetAsync(spec, Ct);

        using var session = lab.Initiator.Hold(spec.TargetIqn, 1, Who.Of(spec));
        var live = await WaitForAsync(driver, t => t.Iqn == spec.TargetIqn && t.Sessions.Count > 0);
        var s = Assert.Single(live.Sessions);
        Assert.Equal(spec.InitiatorIqn, s.InitiatorIqn);
        Assert.Equal([lab.InitiatorAddress], s.Addresses);
    }

    [Fact]
    public async Task RemovalDropsTheSessionAndLeavesNoTargetOrAccount()
    {
        var lab = fixture.Require();
        var (spec, _) = lab.NewBlade(801, mutual: true);
        var driver = lab.CreateDriver();
        await driver.EnsureTargetAsync(spec, Ct);
        using var session = lab.Initiator.Hold(spec.TargetIqn, 1, Who.Of(spec));
        await WaitForAsync(driver, t => t.Iqn == spec.TargetIqn && t.Sessions.Count > 0);

        await driver.RemoveTargetAsync(spec.TargetIqn, Ct);
        await driver.RemoveTargetAsync(spec.TargetIqn, Ct);

        Assert.DoesNotContain(await driver.ListAsync(Ct), t => t.Iqn == spec.TargetIqn);
        var accounts = (await lab.TgtadmAsync("--op", "show", "--mode", "account")).StdoutText;
        Assert.DoesNotContain(spec.ChapUser + "\n", accounts, StringComparison.Ordinal);
        Assert.DoesNotContain(spec.MutualChapUser + "\n", accounts, StringComparison.Ordinal);
        Assert.NotEqual(0, (await lab.Initiator.InquireAsync(spec.TargetIqn, 1, Who.Of(spec))).ExitCode);
    }

    [Fact]
    public async Task ConcurrentEnsuresGetDistinctTidsAndCorrectTargets()
    {
        var lab = fixture.Require();
        var specs = Enumerable.Range(901, 6).Select(id => lab.NewBlade(id).Spec).ToList();
        var driver = lab.CreateDriver();
        await Task.WhenAll(specs.Select(s => driver.EnsureTargetAsync(s, Ct)));

        var live = (await driver.ListAsync(Ct)).Where(t => specs.Any(s => s.TargetIqn == t.Iqn)).ToList();
        Assert.Equal(6, live.Count);
        Assert.Equal(6, live.Select(t => t.Tid).Distinct().Count());
        Assert.All(specs, s => Assert.Empty(TargetDrift.Describe(s, live.Single(t => t.Iqn == s.TargetIqn))));
    }

    internal static async Task<LiveTarget> WaitForAsync(ITargetDriver driver, Func<LiveTarget, bool> condition)
    {
        // tgt offers no session events; poll its listing briefly.
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                var hit = (await driver.ListAsync(Ct)).FirstOrDefault(condition);
                if (hit is not null)
                {
                    return hit;
                }
            }
            catch (Platform.Processes.ProcessFailedException)
            {
                // tgtd is between a crash and its restart.
            }

            await Task.Delay(50, Ct);
        }

        throw new TimeoutException("the expected target state did not appear within 15 s");
    }

    /// <summary>The first NAA designator of a VPD 0x83 page as iscsi-inq prints it, as lower-case hex.</summary>
    private static string FirstNaaDesignatorHex(byte[] stdout)
    {
        var text = System.Text.Encoding.Latin1.GetString(stdout);
        int type = text.IndexOf("Designator Type:(3) NAA", StringComparison.Ordinal);
        Assert.True(type >= 0, "no NAA designator in VPD 0x83");
        int open = text.IndexOf("Designator:[", type, StringComparison.Ordinal) + "Designator:[".Length;
        int close = text.IndexOf("]\n", open, StringComparison.Ordinal);
        return Convert.ToHexStringLower(stdout.AsSpan(open, close - open));
    }
}
