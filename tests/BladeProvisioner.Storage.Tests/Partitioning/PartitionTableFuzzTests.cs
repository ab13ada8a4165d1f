using BladeProvisioner.Storage.Partitioning;
using BladeProvisioner.Storage.Partitioning.Gpt;

namespace BladeProvisioner.Storage.Tests.Partitioning;

/// <summary>
/// A million random and mutated inputs through the block-0 reader: nothing may throw, every result is a status.
/// Half of the GPT mutations get their CRCs repaired so the structural checks behind the CRCs are reached too.
/// Seeds are fixed: a failure names its round, and the input should then be kept as a regression row.
/// </summary>
public sealed class PartitionTableFuzzTests
{
    private const int Rounds = 1_000_000;

    [Fact]
    public void AMillionRandomAndMutatedInputsNeverThrow()
    {
        var counts = new int[Enum.GetValues<PartitionTableError>().Length];
        var seeds = new[]
        {
            TestDisks.Mbr(0x11223344, (0x80, 0x83, 2048, 100_000), (0, 0x82, 102_048, 50_000)),
            TestDisks.GptHead(300_000, 16, (GptPartitionTypes.EfiSystem, 2048, 4095), (GptPartitionTypes.LinuxFilesystem, 4096, 299_000)),
            TestDisks.StandardGpt(),
            FatBootSector(),
            ExtHead(),
        };

        // Two workers, each with its own generator and half the rounds.
        Parallel.For(0, 2, worker =>
        {
            var random = new Random(20261121 + worker);
            var local = new int[counts.Length];
            var buffer = new byte[20_000];
            for (var round = worker; round < Rounds; round += 2)
            {
                var input = Generate(random, seeds, buffer, out var volumeBytes);
                PartitionTableError status;
                try
                {
                    status = new PartitionTableReader(input, volumeBytes).TryRead(out _);
                }
                catch (Exception ex)
                {
                    Assert.Fail($"round {round} (worker {worker}) threw {ex.GetType().Name}: {ex.Message}\n"
                        + $"volume {volumeBytes}, input {Convert.ToHexString(input)}");
                    throw;
                }

                local[(int)status]++;
            }

            lock (counts)
            {
                for (var i = 0; i < counts.Length; i++)
                {
                    counts[i] += local[i];
                }
            }
        });

        Assert.Equal(Rounds, counts.Sum());

        // The mutations must reach past the CRC checks into the structural ones.
        foreach (var reached in new[]
        {
            PartitionTableError.None, PartitionTableError.Truncated, PartitionTableError.BadSignature,
            PartitionTableError.BadHeaderCrc, PartitionTableError.BadEntriesCrc, PartitionTableError.BadHeaderField,
            PartitionTableError.BadBootIndicator, PartitionTableError.EntryOutOfRange, PartitionTableError.Overlap,
            PartitionTableError.NotRecognised,
        })
        {
            Assert.True(counts[(int)reached] > 0, $"no input ended in {reached}");
        }
    }

    private static Span<byte> Generate(Random random, byte[][] seeds, byte[] buffer, out long volumeBytes)
    {
        volumeBytes = random.Next(4) switch
        {
            0 => random.NextInt64(-1, 1L << 20),
            1 => 300_000L * 512,
            2 => 2048L * 512,
            _ => random.NextInt64(0, long.MaxValue),
        };

        if (random.Next(8) == 0)
        {
            // Pure noise of any length.
            var noise = buffer.AsSpan(0, random.Next(buffer.Length));
            random.NextBytes(noise);
            return noise;
        }

        var seed = seeds[random.Next(seeds.Length)];
        var input = buffer.AsSpan(0, seed.Length);
        seed.CopyTo(input);
        var mutations = 1 + random.Next(6);
        for (var m = 0; m < mutations; m++)
        {
            // Bias towards the interesting bytes: the MBR entries, the GPT header and the first entries.
            var at = random.Next(3) switch
            {
                0 => 440 + random.Next(72),
                1 when input.Length > 1024 => 512 + random.Next(96),
                _ => random.Next(input.Length),
            };
            switch (random.Next(4))
            {
                case 0: input[at] ^= (byte)(1 << random.Next(8)); break;
                case 1: input[at] = (byte)random.Next(256); break;
                case 2: input[at] = random.Next(2) == 0 ? (byte)0 : (byte)0xFF; break;
                default: input[at] = (byte)(input[at] + random.Next(-2, 3)); break;
            }
        }

        if (seed.Length > 1024 && random.Next(2) == 0)
        {
            TestDisks.FixCrcs(input, entries: random.Next(4) != 0);
        }

        return random.Next(10) == 0 ? input[..random.Next(input.Length)] : input;
    }

    private static byte[] FatBootSector()
    {
        var s = new byte[512];
        s[0] = 0xEB;
        s[1] = 0x3C;
        s[2] = 0x90;
        s[11] = 0x00;
        s[12] = 0x02;
        s[13] = 4;
        s[14] = 1;
        s[16] = 2;
        "FAT16   "u8.CopyTo(s.AsSpan(54));
        s[510] = 0x55;
        s[511] = 0xAA;
        return s;
    }

    private static byte[] ExtHead()
    {
        var s = new byte[2048];
        s[1080] = 0x53;
        s[1081] = 0xEF;
        return s;
    }
}
