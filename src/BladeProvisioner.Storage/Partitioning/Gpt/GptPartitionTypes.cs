namespace BladeProvisioner.Storage.Partitioning.Gpt;

/// <summary>Partition type GUIDs this appliance writes.</summary>
public static class GptPartitionTypes
{
    public static readonly Guid LinuxFilesystem = new("0FC63DAF-8483-4772-8E79-3D69D8477DE4");
    public static readonly Guid MicrosoftBasicData = new("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7");
    public static readonly Guid EfiSystem = new("C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
}
