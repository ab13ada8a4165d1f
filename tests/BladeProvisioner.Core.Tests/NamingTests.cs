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
    public void ChapSecretsAreSixteenAcceptableCharactersAndDiffer()
    {
        var secrets = Enumerable.Range(0, 200).Select(_ => ChapSecret.Generate()).ToList();
        Assert.All(secrets, s =>
        {
            Assert.Equal(16, s.Length);
            Assert.True(ChapSecret.IsAcceptable(s));
        });
        Assert.Equal(secrets.Count, secrets.Distinct(StringComparer.Ordinal).Count());
    }

    /// <summary>
    /// RFC 3720 §8.2.1: at least 96 bits of randomness, in at most 16 characters (Microsoft's initiator). The
    /// alphabet is measured from the output, not read from the code: symbols seen × length must reach 96 bits.
    /// </summary>
    [Fact]
    public void ChapSecretsCarryAtLeast96BitsInSixteenCharacters()
    {
        var counts = SymbolCounts(20_000, out var length);

        Assert.Equal(ChapSecret.Length, length);
        Assert.InRange(length, 12, 16);
        var bits = length * Math.Log2(counts.Count);
        Assert.True(bits >= 96, $"{counts.Count} symbols x {length} characters = {bits:F1} bits, below RFC 3720's 96");
        Assert.True(ChapSecret.EntropyBits >= 96, $"ChapSecret.EntropyBits is {ChapSecret.EntropyBits:F1}");
    }

    /// <summary>Every symbol equally likely (a biased draw would carry fewer bits than the alphabet promises).</summary>
    [Fact]
    public void ChapSecretSymbolsAreUniformlyDistributed()
    {
        var counts = SymbolCounts(20_000, out var length);

        double expected = 20_000.0 * length / counts.Count;
        var chiSquare = counts.Values.Sum(n => (n - expected) * (n - expected) / expected);
        // 63 degrees of freedom: 140 is exceeded by chance about once in ten million runs.
        Assert.True(chiSquare < 140, $"chi-square {chiSquare:F1} over {counts.Count} symbols");
        Assert.All(counts.Values, n => Assert.InRange(n, expected * 0.85, expected * 1.15));
    }

    private static Dictionary<char, int> SymbolCounts(int secrets, out int length)
    {
        var counts = new Dictionary<char, int>();
        length = 0;
        for (var i = 0; i < secrets; i++)
        {
            var s = ChapSecret.Generate();
            length = Math.Max(length, s.Length);
            foreach (var c in s)
            {
                counts[c] = counts.GetValueOrDefault(c) + 1;
            }
        }

        return counts;
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
