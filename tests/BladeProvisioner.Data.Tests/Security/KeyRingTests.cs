using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BladeProvisioner.Core.Security;
using BladeProvisioner.Data.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BladeProvisioner.Data.Tests.Security;

/// <summary>Finding 11: the Data Protection key ring at rest, encrypted to an operator's certificate, in a private directory.</summary>
public sealed class KeyRingTests : IDisposable
{
    private const string Chap = "Abcdefgh23456789";
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("bp-keyring-");

    private string Keys => Path.Combine(_root.FullName, "data", "keys");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public async Task WithACertificateNoMasterKeyLiesInPlaintextAndSecretsSurviveARestart()
    {
        var cert = NewCertificate("a", "pw-a");
        string stored;
        await using (var first = await StartAsync(Options(cert)))
        {
            stored = first.Protector.Protect(Chap);
        }

        var xml = File.ReadAllText(Assert.Single(Directory.GetFiles(Keys, "key-*.xml")));
        Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
        Assert.Contains("<encryptedSecret", xml, StringComparison.Ordinal);
        Assert.Contains("EncryptedData", xml, StringComparison.Ordinal);

        await using var second = await StartAsync(Options(cert));
        Assert.Equal(Chap, second.Protector.Unprotect(stored));
    }

    [Fact]
    public async Task WithoutACertificateTheMasterKeyIsPlainAndAWarningSaysSo()
    {
        await using var host = await StartAsync(new KeyRingOptions());
        host.Protector.Protect(Chap);

        Assert.Contains("<masterKey", File.ReadAllText(Assert.Single(Directory.GetFiles(Keys, "key-*.xml"))), StringComparison.Ordinal);
        var warning = Assert.Single(host.Logs, l => l.Id == 1401);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains(Keys, warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyDirectoryIs0700AndKeyFiles0600()
    {
        await using var host = await StartAsync(Options(NewCertificate("a", "pw-a")));
        host.Protector.Protect(Chap);

        Assert.Equal(PrivateXmlRepository.DirectoryMode, File.GetUnixFileMode(Keys));
        Assert.All(Directory.GetFiles(Keys), f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
    }

    [Fact]
    public async Task AnotherCertificateFailsStartNamingTheSettingAndTheKey()
    {
        await using (var first = await StartAsync(Options(NewCertificate("a", "pw-a"))))
        {
            first.Protector.Protect(Chap);
        }

        var keyId = Path.GetFileNameWithoutExtension(Assert.Single(Directory.GetFiles(Keys, "key-*.xml")))["key-".Length..];
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(Options(NewCertificate("b", "pw-b"))));
        Assert.Contains("DataProtection:Certificate:Path", ex.Message, StringComparison.Ordinal);
        Assert.Contains(keyId, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APreviousCertificateStillDecryptsDuringRotation()
    {
        var old = NewCertificate("a", "pw-a");
        string stored;
        await using (var first = await StartAsync(Options(old)))
        {
            stored = first.Protector.Protect(Chap);
        }

        var options = Options(NewCertificate("b", "pw-b"));
        options.Certificate.PreviousPaths.Add(old.Path);
        options.Certificate.PreviousPasswordFiles.Add(old.PasswordFile);
        await using var rotated = await StartAsync(options);
        Assert.Equal(Chap, rotated.Protector.Unprotect(stored));
    }

    [Theory]
    [InlineData("missing file")]
    [InlineData("wrong password")]
    public void AnUnloadableCertificateFailsCompositionNamingTheSetting(string fault)
    {
        var cert = NewCertificate("a", "pw-a");
        var options = Options(cert);
        if (fault == "missing file")
        {
            options.Certificate.Path = Path.Combine(_root.FullName, "absent.pfx");
        }
        else
        {
            File.WriteAllText(cert.PasswordFile, "not-it");
        }

        var ex = Assert.Throws<InvalidOperationException>(() => KeyRingSetup.AddKeyRing(new ServiceCollection(), options, Keys));
        Assert.StartsWith("DataProtection:Certificate:Path: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(options.Certificate.Path!, ex.Message, StringComparison.Ordinal);
    }

    private static KeyRingOptions Options((string Path, string PasswordFile) cert) =>
        new() { Certificate = new KeyRingCertificateOptions { Path = cert.Path, PasswordFile = cert.PasswordFile } };

    private (string Path, string PasswordFile) NewCertificate(string name, string password)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN=bp-keyring-{name}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var path = Path.Combine(_root.FullName, $"{name}.pfx");
        File.WriteAllBytes(path, cert.Export(X509ContentType.Pkcs12, password));
        var passwordFile = Path.Combine(_root.FullName, $"{name}.pass");
        File.WriteAllText(passwordFile, password + "\n");
        return (path, passwordFile);
    }

    private async Task<RunningHost> StartAsync(KeyRingOptions options)
    {
        var logs = new ConcurrentQueue<(int Id, LogLevel Level, string Message)>();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddProvider(new ListLoggerProvider(logs));
        KeyRingSetup.AddKeyRing(builder.Services, options, Keys);
        builder.Services.AddSingleton<ISecretProtector, DataProtectionSecretProtector>();
        var host = builder.Build();
        try
        {
            await host.StartAsync(Ct);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return new RunningHost(host, logs);
    }

    private sealed class RunningHost(IHost host, ConcurrentQueue<(int Id, LogLevel Level, string Message)> logs) : IAsyncDisposable
    {
        public ISecretProtector Protector => host.Services.GetRequiredService<ISecretProtector>();

        public IReadOnlyCollection<(int Id, LogLevel Level, string Message)> Logs => logs;

        public async ValueTask DisposeAsync()
        {
            await host.StopAsync(CancellationToken.None);
            host.Dispose();
        }
    }

    private sealed class ListLoggerProvider(ConcurrentQueue<(int Id, LogLevel Level, string Message)> logs) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new ListLogger(logs);

        public void Dispose()
        {
        }

        private sealed class ListLogger(ConcurrentQueue<(int Id, LogLevel Level, string Message)> logs) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                logs.Enqueue((eventId.Id, logLevel, formatter(state, exception)));
        }
    }
}
