using BladeProvisioner.Boot.Scripts;

namespace BladeProvisioner.Boot.Tests.Scripts;

public sealed class IpxeTextTests
{
    [Theory]
    [InlineData("debian-12 v2", "debian-12 v2")]
    [InlineData("Ubuntu \"24.04 LTS\"", "Ubuntu \"24.04 LTS\"")]
    [InlineData("it's  two   spaces", "it's two spaces")]
    [InlineData("  padded  ", "padded")]
    [InlineData("tab\there\r\nnewline", "tab here newline")]
    [InlineData("price $5 {ok}", "price $5 {ok}")]
    [InlineData("${password}", "$(password}")]
    [InlineData("$${x}", "$$(x}")]
    [InlineData("a && b", "a '&&' b")]
    [InlineData("a || b", "a '||' b")]
    [InlineData("a ; b", "a ';' b")]
    [InlineData("a;b R&D x||y", "a;b R&D x||y")]
    [InlineData("release #2", "release '#2'")]
    [InlineData("C# tools", "C# tools")]
    [InlineData("Débian ünïcode", "D?bian ?n?code")]
    [InlineData("bell\u0007", "bell?")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void DisplayTextFollowsTheRule(string? input, string expected) => Assert.Equal(expected, IpxeText.Display(input));

    [Fact]
    public void LongTextIsCutWithDots()
    {
        var shown = IpxeText.Display(new string('x', 100));
        Assert.Equal(IpxeText.MaxDisplayLength, shown.Length);
        Assert.EndsWith("...", shown, StringComparison.Ordinal);
    }

    [Fact]
    public void CuttingNeverLeavesACommandBreak()
    {
        var shown = IpxeText.Display("a " + new string('b', 66) + " && reboot", maxLength: 72);
        Assert.DoesNotContain(" && ", shown + " ", StringComparison.Ordinal);
        Assert.All(shown.Split(' '), w => Assert.False(w is "&&" or "||" or ";" || w.StartsWith('#')));
    }

    [Theory]
    [InlineData("iqn.2026-11.com.example.bp:blade.17", true)]
    [InlineData("http://10.99.0.1:8080/boot/menu?blade=17&image=3", true)]
    [InlineData("Kq7hTz3mWp9xRb2N", true)]
    [InlineData("two words", false)]
    [InlineData("x${y}", false)]
    [InlineData("||", false)]
    [InlineData(";", false)]
    [InlineData("#x", false)]
    [InlineData("tab\t", false)]
    [InlineData("é", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void SafeWords(string? word, bool safe) => Assert.Equal(safe, IpxeText.IsSafeWord(word));
}
