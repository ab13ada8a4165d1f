namespace BladeProvisioner.Power;

public enum PowerState
{
    Unknown,
    On,
    Off,
}
