namespace BladeProvisioner.Core.Security;

/// <summary>Encrypts secrets (CHAP, BMC passwords) before they are stored, and decrypts them where used.</summary>
public interface ISecretProtector
{
    string Protect(string secret);

    string Unprotect(string protectedSecret);
}
