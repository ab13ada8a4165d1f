using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using BladeProvisioner.Testing;

namespace BladeProvisioner.Appliance.Tests;

/// <summary>
/// What survives a power loss, seen in the system calls of the real appliance (strace): a converted image is flushed
/// by qemu-img before it is renamed into place, the image directory is fsynced after that rename, and a new volume's
/// file and directory are fsynced before the clone goes on to personalise it.
/// </summary>
public sealed partial class CommitDurabilityTests(PostgresServer postgres)
{
    [Fact]
    public async Task ImportFlushesTheConvertedImageAndFsyncsItsDirectoryAfterTheRenameAndACloneFsyncsTheVolume()
    {
        Prerequisites.RequireProgram("/usr/bin/strace");
        Prerequisites.RequireProgram("/usr/bin/qemu-img");
        Prerequisites.RequireProgram("/usr/sbin/sfdisk");
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory("bp-commit");
        var cs = await postgres.CreateEmptyDatabaseAsync("commit");
        var qcow2 = WriteQcow2Donor(dir.Sub("incoming"));
        await using var appliance = new ApplianceProcess(dir.Path, cs, "--Appliance:NodeName", "node-commit");
        await appliance.StartAsync();

        var trace = Path.Combine(dir.Path, "strace.log");
        var pid = appliance.Pid!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var strace = new Process
        {
            StartInfo = new ProcessStartInfo("strace", ["-f", "-y", "-e", "trace=fsync,fdatasync,rename,renameat,renameat2,execve,clone,clone3", "-o", trace, "-p", pid])
            {
                RedirectStandardError = true,
            },
        };
        var attached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        strace.ErrorDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("attached", StringComparison.Ordinal) == true)
            {
                attached.TrySetResult();
            }
        };
        strace.Start();
        strace.BeginErrorReadLine();
        try
        {
            // strace reports each thread it attaches to; the appliance is traced once the first one is.
            await attached.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
            await Task.Delay(1000, ct);

            using var response = await appliance.Http.PostAsJsonAsync("api/images/import", new { name = "durable", operatingSystem = "Test", bootMode = "Both", path = qcow2 }, JsonDefaults.Options, ct);
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync(ct));
            var started = (await response.Content.ReadFromJsonAsync<ImportStartedDto>(JsonDefaults.Options, ct))!;
            var imported = await TestJobs.WaitAsync(appliance, started.Job.Id, j => j.State is "Succeeded" or "Failed", TimeSpan.FromSeconds(180));
            Assert.True(imported.State == "Succeeded", $"import: {imported.Error}\n{appliance.Log()}");

            using var created = await appliance.Http.PostAsJsonAsync("api/blades", new { bootMac = "52:54:00:c3:00:01" }, JsonDefaults.Options, ct);
            var blade = (await created.Content.ReadFromJsonAsync<BladeDto>(JsonDefaults.Options, ct))!;
            using var provision = await appliance.Http.PostAsJsonAsync($"api/blades/{blade.Id}/provision", new { imageId = started.Image.Id }, JsonDefaults.Options, ct);
            Assert.True(provision.StatusCode == HttpStatusCode.Accepted, await provision.Content.ReadAsStringAsync(ct));
            var cloneJob = (await appliance.GetAsync<List<JobDto>>($"api/jobs?bladeId={blade.Id}")).Single(j => j.Kind == "volume.clone").Id;
            var cloned = await TestJobs.WaitAsync(appliance, cloneJob, j => j.State is "Succeeded" or "Failed", TimeSpan.FromSeconds(180));
            Assert.True(cloned.State == "Succeeded", $"clone: {cloned.Error}\n{appliance.Log()}");
            var volume = (await appliance.GetAsync<List<VolumeDto>>($"api/volumes?bladeId={blade.Id}")).Single();

            var calls = Unsplit(await Eventually.UntilAsync(
                () => Task.FromResult(ReadShared(trace)),
                lines => lines.Any(l => l.Contains(volume.BackingPath, StringComparison.Ordinal)),
                TimeSpan.FromSeconds(30)));
            var image = Path.Combine(dir.Path, "images", "durable", "v1.raw");
            var imageDir = Path.GetDirectoryName(image)!;
            var volumeDir = Path.GetDirectoryName(volume.BackingPath)!;

            // qemu-img itself flushed its output (it did not with its default cache mode for convert, "unsafe").
            var qemuImg = QemuImgThreads(calls);
            Assert.True(qemuImg.Count > 0, $"qemu-img convert was not seen:\n{string.Join('\n', calls)}");
            var rename = calls.FindIndex(l => l.Contains("rename", StringComparison.Ordinal) && l.Contains($"\"{image}\"", StringComparison.Ordinal));
            Assert.True(rename >= 0, $"no rename to {image}:\n{string.Join('\n', calls)}");
            Assert.Contains(calls.Take(rename), l => Synced(l, image + ".partial") && qemuImg.Contains(l.Split(' ', 2)[0]));

            // After the rename, the directory that names the image was fsynced.
            Assert.Contains(calls.Skip(rename), l => Synced(l, imageDir));

            // The volume file and its directory were fsynced.
            Assert.Contains(calls, l => Synced(l, volume.BackingPath));
            Assert.Contains(calls, l => Synced(l, volumeDir));
        }
        finally
        {
            if (!strace.HasExited)
            {
                strace.Kill();
                await strace.WaitForExitAsync(CancellationToken.None);
            }
        }
    }

    /// <summary>An fsync or fdatasync of a descriptor strace -y resolved to exactly <paramref name="path"/>, returning 0.</summary>
    private static bool Synced(string line, string path)
    {
        var m = SyncCall().Match(line);
        return m.Success && string.Equals(m.Groups[1].Value, path, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"f(?:data)?sync\(\d+<([^>]+)>\)\s+=\s+0")]
    private static partial Regex SyncCall();

    /// <summary>The ids strace shows for qemu-img convert: its process (after prlimit's exec) and the threads it starts.</summary>
    private static HashSet<string> QemuImgThreads(List<string> calls)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in calls)
        {
            if (QemuImgExec().Match(line) is { Success: true } exec)
            {
                ids.Add(exec.Groups[1].Value);
            }
            else if (CloneCall().Match(line) is { Success: true } clone && ids.Contains(clone.Groups[1].Value))
            {
                ids.Add(clone.Groups[2].Value);
            }
        }

        return ids;
    }

    // "<id> clone3({...}, 88) = <new id>", or its "<... clone3 resumed>" half when another thread interleaved.
    [GeneratedRegex(@"^(\d+)\s+(?:clone3?\(|<\.\.\. clone3? resumed>).*\)\s+=\s+(\d+)")]
    private static partial Regex CloneCall();

    // "<pid> execve("/usr/bin/qemu-img", ["qemu-img", "convert", ...]) = 0": the pid of the convert (under prlimit). With
    // other processes starting meanwhile (tgtadm for the session poll) strace may split it into "… <unfinished ...>" and
    // "<... execve resumed>) = 0", so the result is not required on the same line.
    [GeneratedRegex(@"^(\d+)\s+execve\(""[^""]*qemu-img"", \[""qemu-img"", ""convert""")]
    private static partial Regex QemuImgExec();

    // Joins the calls strace split because another traced process or thread made one meanwhile ("<pid> fsync(5</v> <unfinished ...>"
    // then "<pid> <... fsync resumed>) = 0"; the appliance's own tgtadm runs interleave too), so each call is one line.
    private static List<string> Unsplit(List<string> lines)
    {
        const string Unfinished = " <unfinished ...>";
        var pending = new Dictionary<string, string>(StringComparer.Ordinal);
        var joined = new List<string>(lines.Count);
        foreach (var line in lines)
        {
            var pid = line.Split(' ', 2)[0];
            if (line.EndsWith(Unfinished, StringComparison.Ordinal))
            {
                pending[pid] = line[..^Unfinished.Length];
            }
            else if (Resumed().Match(line) is { Success: true } m && pending.Remove(pid, out var start))
            {
                joined.Add(start + m.Groups[1].Value);
            }
            else
            {
                joined.Add(line);
            }
        }

        return joined;
    }

    [GeneratedRegex(@"^\d+\s+<\.\.\. \w+ resumed>(.*)$")]
    private static partial Regex Resumed();

    private static List<string> ReadShared(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var r = new StreamReader(f);
        return r.ReadToEnd().Split('\n').ToList();
    }

    private static string WriteQcow2Donor(string directory)
    {
        var raw = Path.Combine(directory, "donor.raw");
        using (var f = File.Create(raw))
        {
            var buffer = new byte[1 << 20];
            f.Write(new byte[1 << 20]);
            for (var i = 1; i < 16; i++)
            {
                RandomNumberGenerator.Fill(buffer);
                f.Write(buffer);
            }
        }

        var sfdisk = TestNetwork.Run("sh", ["-c", $"printf 'label: dos\\n,,L,*\\n' | sfdisk -q {raw}"], TimeSpan.FromSeconds(30));
        Assert.True(sfdisk.ExitCode == 0, sfdisk.Stderr);
        var qcow2 = Path.Combine(directory, "donor.qcow2");
        var convert = TestNetwork.Run("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", raw, qcow2], TimeSpan.FromSeconds(60));
        Assert.True(convert.ExitCode == 0, convert.Stderr);
        File.Delete(raw);
        return qcow2;
    }
}
