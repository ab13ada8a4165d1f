using System.Globalization;
using BladeProvisioner.Storage.Cloning;

// Usage: CloneBench <source> <destination> <destination-size-bytes> [reflink|copy]
// Prints "<seconds> <reflinked> <data-bytes-written>", timed in-process (the appliance is a long-running host).
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: CloneBench <source> <destination> <size-bytes> [reflink|copy]");
    return 2;
}

using var copier = new VolumeCopier();
var request = new CopyRequest(args[0], args[1], long.Parse(args[2], CultureInfo.InvariantCulture))
{
    AllowReflink = args.Length < 4 || args[3] != "copy",
};
var result = await copier.CopyAsync(request, null, CancellationToken.None);
Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"{result.Elapsed.TotalSeconds:F3} {result.Reflinked} {result.DataBytesCopied}"));
return 0;
