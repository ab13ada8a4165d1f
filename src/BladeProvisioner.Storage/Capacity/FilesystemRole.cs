namespace BladeProvisioner.Storage.Capacity;

/// <summary>What the appliance keeps on a filesystem; each role has its own reserve (<see cref="CapacityOptions"/>).</summary>
public enum FilesystemRole
{
    /// <summary>The blades' boot volumes (<c>Storage:Volumes:Directory</c>): running blades write here.</summary>
    Volumes,

    /// <summary>The donor image store (<c>Storage:Images:Directory</c>).</summary>
    Images,

    /// <summary>Uploads in progress and import sources (the first of <c>Storage:Images:ImportRoots</c>).</summary>
    Uploads,

    /// <summary>The PostgreSQL cluster's files (the embedded cluster, or <c>Storage:Capacity:DatabaseDirectory</c>).</summary>
    Database,
}
