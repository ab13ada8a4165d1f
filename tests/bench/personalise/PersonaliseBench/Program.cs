using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using BladeProvisioner.Storage.Identity;
using BladeProvisioner.Storage.Partitioning;
using Microsoft.Extensions.Logging.Abstractions;

// Usage: PersonaliseBench <donor> <volume> <volume-size-bytes> <hostname>
// <volume> is a fresh copy of <donor> (the clone); it is personalised the way the clone job does it after the copy:
// the partition table for this blade (new disk and partition ids, last partition grown to the volume), then the OS
// identity offline (machine-id, SSH host keys, hostname, initiator name, root filesystem grown).
// Prints "<seconds> <table-seconds> <os-seconds> <root-bytes-before> <root-bytes-after>", timed in-process (the
// appliance is a long-running host).
if (args.Length < 4)
{
    Console.Error.WriteLine("usage: PersonaliseBench <donor> <volume> <volume-size-bytes> <hostname>");
    return 2;
}

var ct = CancellationToken.None;
var partitioner = new VolumePartitioner(NullLogger<VolumePartitioner>.Instance);
var os = new OsPersonalizer { GuestfsCacheDirectory = Path.Combine(Path.GetTempPath(), "bp-personalise-bench-guestfs") };
var seed = RandomNumberGenerator.GetBytes(32);
var total = Stopwatch.StartNew();
var plan = await partitioner.PlanAsync(args[0], ct);
var options = PersonalizeOptions.Default with { Plan = plan, IdentifierSeed = seed, NewIdentifiers = true };
await partitioner.PersonalizeAsync(args[1], long.Parse(args[2], CultureInfo.InvariantCulture), options, ct);
var layout = await partitioner.VerifyAsync(args[1], ct);
var table = total.Elapsed.TotalSeconds;
var result = await os.PersonalizeAsync(args[1], layout, new BladeIdentity(args[3], "iqn.2026-12.local.bench:" + args[3], seed), ct);
var all = total.Elapsed.TotalSeconds;
if (result.Skipped is not null || result.MachineId is null || result.SshHostKeys.Count == 0)
{
    Console.Error.WriteLine($"not personalised: {result.Skipped ?? "no machine-id or host keys written"}");
    return 1;
}

Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"{all:F3} {table:F3} {all - table:F3} {result.RootBytesBefore} {result.RootBytesAfter}"));
return 0;
