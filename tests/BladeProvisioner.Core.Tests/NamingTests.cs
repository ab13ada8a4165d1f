using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Naming;
using BladeProvisioner.Core.Security;

namespace BladeProvisioner.Core.Tests;

public sealed class NamingTests
{
    [Theory]
    [InlineData("52:54:00:AB:CD:EF", "52:54:00:ab:cd:ef")]
    [InlineData("52-54-00-ab-cd-ef", "52:54:00:ab:cd:ef")]
    [InlineData("525400abcdef", "52:54:00:ab:cd:ef")]
    [InlineData(" 52:54:00:ab:cd:ef ", "52:54:00:ab:cd:ef")]
    public void MacAddressesAreNormalised(string input, string expected) => Assert.Equal(expected, MacAddressText.Normalize(input));

    [Theory]
    [InlineData("")]
    [InlineData("52:54:00:ab:cd")]
    [InlineData("52:54:00:ab:cd:ef:01")]
    [InlineData("52:54:00:ab:cd:eg")]
    [InlineData("52:54-00:ab:cd:ef")]
    [InlineData("not a mac")]
    public void BadMacAddressesAreRefusedWithACode(string input)
    {
        Assert.False(MacAddressText.TryNormalize(input, out _));
        Assert.Equal(ErrorCodes.InvalidMac, Assert.Throws<DomainException>(() => MacAddressText.Normalize(input)).Code);
    }

    [Theory]
    [InlineData("iqn.2026-11.com.example.bp:blade.17")]
    [InlineData("iqn.2001-04.com.example")]
    [InlineData("iqn.1992-01.com.example:storage:diskarrays-sn-a8675309")]
    public void ValidIqnsPass(string iqn) => Assert.Null(Iqn.Validate(iqn));

    [Theory]
    [InlineData("", "required")]
    [InlineData("eui.02004567A425678D", "starts with 'iqn.'")]
    [InlineData("iqn.2026-13.com.example", "date")]
    [InlineData("iqn.26-11.com.example", "date")]
    [InlineData("iqn.2026-11.", "reversed domain")]
    [InlineData("iqn.2026-11.com..example", "reversed domain")]
    [InlineData("iqn.2026-11.com.example:blade 1", "may hold only")]
    [InlineData("iqn.2026-11.com.example:Blade", "may hold only")]
    public void InvalidIqnsSayWhy(string iqn, string reason) => Assert.Contains(reason, Iqn.Validate(iqn), StringComparison.Ordinal);

    [Fact]
    public void OverlongIqnIsRefused() => Assert.NotNull(Iqn.Validate("iqn.2026-11.com.example:" + new string('a', 200)));

    [Fact]
    public void NormaliseFoldsCase() => Assert.Equal("iqn.2026-11.com.example:x", Iqn.Normalize(" IQN.2026-11.COM.Example:X "));

    [Fact]
    public void FactoryReversesTheDomain()
    {
        var f = new IqnFactory("bp.example.com", new DateOnly(2026, 11, 1));
        Assert.Equal("iqn.2026-11.com.example.bp:blade.17", f.Target(17));
        Assert.Equal("iqn.2026-11.com.example.bp:initiator.525400abcdef", f.Initiator("52:54:00:ab:cd:ef"));
        Assert.True(Iqn.IsValid(f.Target(17)));
    }

    [Fact]
    public void ChapSecretsAreSixteenUnambiguousCharactersAndDiffer()
    {
        var secrets = Enumerable.Range(0, 200).Select(_ => ChapSecret.Generate()).ToList();
        Assert.All(secrets, s =>
        {
            Assert.Equal(16, s.Length);
            Assert.True(ChapSecret.IsAcceptable(s));
            Assert.DoesNotContain(s, c => "0O1lI".Contains(c, StringComparison.Ordinal));
        });
        Assert.Equal(secrets.Count, secrets.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void ScsiIdentitiesAreUniqueAndWellFormed()
    {
        var wwns = Enumerable.Range(0, 500).Select(_ => ScsiIdentity.NewWwn()).ToList();
        Assert.All(wwns, w => Assert.True(ScsiIdentity.IsValidWwn(w), w));
        Assert.Equal(wwns.Count, wwns.Distinct(StringComparer.Ordinal).Count());
        var serial = ScsiIdentity.NewSerial(42);
        Assert.StartsWith("BP0000002A", serial, StringComparison.Ordinal);
        Assert.True(serial.Length <= 36);
        Assert.NotEqual(serial, ScsiIdentity.NewSerial(42));
    }
}
