using BladeProvisioner.Core.Blades;

namespace BladeProvisioner.Core.Tests;

public sealed class BladeBootReaderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    private static BootStage At(double seconds, string kind, string? session = null) =>
        new(T0.AddSeconds(seconds), kind, kind == BladeBootReader.IscsiLogin ? "10.99.91.20" : null, kind == BladeBootReader.IscsiLogin ? "iqn.test:blade" : null, session);

    [Fact]
    public void NoStageMeansNoBoot()
    {
        Assert.Null(BladeBootReader.Latest([]));
    }

    [Fact]
    public void RestartSanbootAndLoginMakeOneBootWithElapsedTimes()
    {
        var boot = BladeBootReader.Latest(
        [
            At(0, BladeBootReader.Restarted), At(20, "dhcp.discover"), At(20.5, "dhcp.ack"), At(24, "dhcp.ack"),
            At(25, BladeBootReader.Sanboot), At(41.25, BladeBootReader.IscsiLogin, "n/t/1"),
        ])!;

        Assert.Equal(T0, boot.StartedAt);
        Assert.Equal("power", boot.StartedBy);
        Assert.Equal(25, boot.SanbootAfterSeconds);
        Assert.Equal(41.25, boot.IscsiLoginAfterSeconds);
        Assert.Equal("10.99.91.20", boot.IscsiLoginAddress);
        Assert.Equal("iqn.test:blade", boot.IscsiLoginInitiator);
        Assert.Null(boot.IscsiLogoutAt);
    }

    [Fact]
    public void WithoutARestartTheFirstDhcpOfTheBootStartsIt()
    {
        var boot = BladeBootReader.Latest([At(3, "dhcp.discover"), At(3.1, "dhcp.offer"), At(9, "dhcp.ack"), At(10, BladeBootReader.Sanboot)])!;

        Assert.Equal(T0.AddSeconds(3), boot.StartedAt);
        Assert.Equal("dhcp", boot.StartedBy);
        Assert.Equal(7, boot.SanbootAfterSeconds);
        Assert.Null(boot.IscsiLoginAt);
        Assert.Null(boot.IscsiLoginAfterSeconds);
    }

    [Fact]
    public void DhcpAfterTheSanbootStartsTheNextBoot()
    {
        var boot = BladeBootReader.Latest(
        [
            At(0, "dhcp.discover"), At(5, BladeBootReader.Sanboot), At(9, BladeBootReader.IscsiLogin, "a"),
            At(100, BladeBootReader.IscsiLogout, "a"), At(130, "dhcp.discover"), At(131, "dhcp.ack"), At(140, BladeBootReader.Sanboot),
        ])!;

        Assert.Equal(T0.AddSeconds(130), boot.StartedAt);
        Assert.Equal(10, boot.SanbootAfterSeconds);
        Assert.Null(boot.IscsiLoginAt);
        Assert.Null(boot.IscsiLogoutAt);
    }

    [Fact]
    public void TheLingeringSessionOfTheBootBeforeDoesNotEndThisOne()
    {
        var boot = BladeBootReader.Latest(
        [
            At(0, BladeBootReader.Sanboot), At(5, BladeBootReader.IscsiLogin, "old"),
            At(60, BladeBootReader.Restarted), At(80, BladeBootReader.Sanboot), At(90, BladeBootReader.IscsiLogin, "new"),
            At(95, BladeBootReader.IscsiLogout, "old"),
        ])!;

        Assert.Equal(30, boot.IscsiLoginAfterSeconds);
        Assert.Null(boot.IscsiLogoutAt);
    }

    [Fact]
    public void TheBootEndsWhenItsLastSessionIsGoneAndAReconnectKeepsTheFirstLogin()
    {
        var stages = new List<BootStage>
        {
            At(0, "dhcp.discover"), At(5, BladeBootReader.Sanboot), At(9, BladeBootReader.IscsiLogin, "a"),
            At(50, BladeBootReader.IscsiLogout, "a"), At(51, BladeBootReader.IscsiLogin, "b"),
        };
        var reconnected = BladeBootReader.Latest(stages)!;
        Assert.Equal(9, reconnected.IscsiLoginAfterSeconds);
        Assert.Null(reconnected.IscsiLogoutAt);

        stages.Add(At(70, BladeBootReader.IscsiLogout, "b"));
        Assert.Equal(T0.AddSeconds(70), BladeBootReader.Latest(stages)!.IscsiLogoutAt);
    }

    [Fact]
    public void ASanbootWithoutAnyStartOnTheTimelineHasNoElapsedTimes()
    {
        var boot = BladeBootReader.Latest([At(5, BladeBootReader.Sanboot), At(9, BladeBootReader.IscsiLogin, "a")])!;

        Assert.Null(boot.StartedAt);
        Assert.Null(boot.StartedBy);
        Assert.Equal(T0.AddSeconds(9), boot.IscsiLoginAt);
        Assert.Null(boot.SanbootAfterSeconds);
        Assert.Null(boot.IscsiLoginAfterSeconds);
    }

    [Fact]
    public void StagesAreReadInTimeOrderWhateverTheOrderGiven()
    {
        var boot = BladeBootReader.Latest([At(9, BladeBootReader.IscsiLogin, "a"), At(5, BladeBootReader.Sanboot), At(0, BladeBootReader.Restart)])!;

        Assert.Equal("power", boot.StartedBy);
        Assert.Equal(5, boot.SanbootAfterSeconds);
        Assert.Equal(9, boot.IscsiLoginAfterSeconds);
    }
}
