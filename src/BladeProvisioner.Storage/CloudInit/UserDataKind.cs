namespace BladeProvisioner.Storage.CloudInit;

/// <summary>The user-data formats an admin may give: what cloud-init calls text/cloud-config, a script, or MIME.</summary>
public enum UserDataKind
{
    Invalid,
    CloudConfig,
    Script,
    Mime,
}
