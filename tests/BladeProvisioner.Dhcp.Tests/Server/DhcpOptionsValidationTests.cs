using BladeProvisioner.Dhcp.Configuration;
using BladeProvisioner.Dhcp.Tests.Support;

namespace BladeProvisioner.Dhcp.Tests.Server;

public sealed class DhcpOptionsValidationTests
{
    [Fact]
    public void DefaultTestConfigurationIsValid() => Assert.Empty(DhcpOptionsValidator.Check(ServerHarness.DefaultOptions()));

    [Fact]
    public void OverlappingScopesAreRejectedNamingBoth()
    {
        var o = ServerHarness.DefaultOptions();
        o.Scopes.Add(new DhcpScopeOptions { Name = "wide", Subnet = "10.99.20.0/23" });
        var errors = DhcpOptionsValidator.Check(o);
        Assert.Contains(errors, e => e.StartsWith("Dhcp:Scopes:2 ('wide'): subnet 10.99.20.0/23 overlaps Dhcp:Scopes:0 ('lab')", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Dhcp:Scopes:2 ('wide'): subnet 10.99.20.0/23 overlaps Dhcp:Scopes:1 ('rack2')", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("10.99.22.10-10.99.22.20")]
    [InlineData("10.99.20.0-10.99.20.20")]
    [InlineData("10.99.20.200-10.99.20.255")]
    public void RangeOutsideItsSubnetIsRejected(string range)
    {
        var o = ServerHarness.DefaultOptions();
        o.Scopes[0].Ranges.Add(range);
        var error = Assert.Single(DhcpOptionsValidator.Check(o));
        Assert.Contains(range, error, StringComparison.Ordinal);
        Assert.Contains("outside subnet", error, StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicateReservationsAreRejectedNamingTheMac()
    {
        var o = ServerHarness.DefaultOptions();
        o.Scopes[0].Reservations.Add(new DhcpReservationOptions { Mac = "52-54-00-AA-00-01", Address = "10.99.20.8" });
        o.Scopes[0].Reservations.Add(new DhcpReservationOptions { Mac = "52:54:00:aa:00:02", Address = "10.99.20.7" });
        var errors = DhcpOptionsValidator.Check(o);
        Assert.Contains(errors, e => e.Contains("duplicate reservation for MAC 52:54:00:aa:00:01", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("duplicate reservation of address 10.99.20.7", StringComparison.Ordinal));
    }

    [Fact]
    public void EnabledWithoutInterfacesIsRejected()
    {
        var o = ServerHarness.DefaultOptions();
        o.Interfaces.Clear();
        Assert.Contains(DhcpOptionsValidator.Check(o), e => e.StartsWith("Dhcp:Interfaces", StringComparison.Ordinal));
    }

    [Fact]
    public void OverlappingRangesWithinAScopeAreRejected()
    {
        var o = ServerHarness.DefaultOptions();
        o.Scopes[0].Ranges.Add("10.99.20.105-10.99.20.120");
        Assert.Contains(DhcpOptionsValidator.Check(o), e => e.Contains("overlaps range", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("relay1")]
    [InlineData("0.0.0.0")]
    [InlineData("fe80::1")]
    public void TrustedRelayThatIsNotAnAddressIsRejectedNamingTheKey(string relay)
    {
        var o = ServerHarness.DefaultOptions();
        o.TrustedRelays.Add(relay);
        var error = Assert.Single(DhcpOptionsValidator.Check(o));
        Assert.StartsWith($"Dhcp:TrustedRelays:1 '{relay}'", error, StringComparison.Ordinal);
    }
}
