using System.Globalization;
using System.Text;

namespace BladeProvisioner.Storage.Images.Initramfs;

/// <summary>How reading one stream of newc cpio archives ended.</summary>
internal enum CpioStatus
{
    /// <summary>A <c>TRAILER!!!</c> was read and only zero padding (or nothing) followed.</summary>
    Complete,

    /// <summary>A <c>TRAILER!!!</c> was read and something that is not a cpio header follows (a compressed archive).</summary>
    MoreData,

    Truncated,
    BadHeader,
    TooManyEntries,
    TooLarge,
}

/// <summary>
/// Reads concatenated newc cpio archives (magic <c>070701</c>, or <c>070702</c> with checksums) from a stream, the
/// format the kernel unpacks an initramfs from (Documentation/driver-api/early-userspace/buffer-format.rst): a 110-byte
/// ASCII-hex header, the NUL-terminated name padded to 4 bytes, the data padded to 4 bytes, and <c>TRAILER!!!</c> at
/// the end; zero bytes between archives are skipped. File data is skipped unless <see cref="InitramfsContents.Wants"/>
/// asks for it. Every length is checked against the limits before it is read: a hostile header can neither make the
/// reader allocate nor make it read more than <see cref="InitramfsLimits.MaxUnpackedBytes"/>.
/// </summary>
internal sealed class CpioArchive(Stream stream, InitramfsContents contents, InitramfsLimits limits)
{
    private const int HeaderBytes = 110;
    private const int MaxNameBytes = 4096;
    private readonly byte[] _scratch = new byte[1 << 16];

    /// <summary>Bytes consumed from the stream (every read goes through this class).</summary>
    public long Position { get; private set; }

    /// <summary>After <see cref="CpioStatus.MoreData"/>: the bytes read past the zero padding (the start of what follows).</summary>
    public ReadOnlyMemory<byte> Leftover { get; private set; }

    public async Task<CpioStatus> ReadAsync(CancellationToken ct)
    {
        var header = new byte[HeaderBytes];
        var sawTrailer = false;
        while (true)
        {
            var got = await FillAsync(header.AsMemory(0, 6), ct);
            if (got == 0)
            {
                return sawTrailer ? CpioStatus.Complete : CpioStatus.Truncated;
            }

            if (sawTrailer && header[0] == 0)
            {
                // Padding between archives: skip zero bytes, 4 at a time as the kernel does.
                var skip = await SkipZerosAsync(header, got, ct);
                if (skip < 0)
                {
                    return CpioStatus.Complete;
                }

                got = skip;
                if (got < 6)
                {
                    got += await FillAsync(header.AsMemory(got, 6 - got), ct);
                }
            }

            if (got < 6)
            {
                return CpioStatus.Truncated;
            }

            if (!header.AsSpan(0, 5).SequenceEqual("07070"u8) || (header[5] != (byte)'1' && header[5] != (byte)'2'))
            {
                if (sawTrailer)
                {
                    Leftover = header.AsMemory(0, got).ToArray();
                    return CpioStatus.MoreData;
                }

                return CpioStatus.BadHeader;
            }

            if (await FillAsync(header.AsMemory(6), ct) < HeaderBytes - 6)
            {
                return CpioStatus.Truncated;
            }

            if (!TryHex(header, 6 * 8 + 6, out var fileSize) || !TryHex(header, 11 * 8 + 6, out var nameSize) || !TryHex(header, 1 * 8 + 6, out var mode))
            {
                return CpioStatus.BadHeader;
            }

            if (nameSize is 0 or > MaxNameBytes)
            {
                return CpioStatus.BadHeader;
            }

            var namePadded = (int)Align4(HeaderBytes + nameSize) - HeaderBytes;
            var dataPadded = Align4(fileSize);
            if (Position + namePadded + dataPadded > limits.MaxUnpackedBytes)
            {
                contents.Problem = string.Create(CultureInfo.InvariantCulture, $"an entry declares {fileSize} bytes, past the limit of {limits.MaxUnpackedBytes} unpacked bytes");
                return CpioStatus.TooLarge;
            }

            var nameBytes = new byte[namePadded];
            if (await FillAsync(nameBytes, ct) < namePadded)
            {
                return CpioStatus.Truncated;
            }

            var name = Encoding.UTF8.GetString(nameBytes, 0, (int)nameSize - 1);
            if (name == "TRAILER!!!")
            {
                sawTrailer = true;
                if (dataPadded > 0 && await SkipAsync(dataPadded, ct) < dataPadded)
                {
                    return CpioStatus.Truncated;
                }

                continue;
            }

            sawTrailer = false;
            if (++contents.Entries > limits.MaxEntries)
            {
                contents.Problem = string.Create(CultureInfo.InvariantCulture, $"more than {limits.MaxEntries} entries");
                return CpioStatus.TooManyEntries;
            }

            var path = InitramfsContents.Normalize(name);
            contents.Add(path, (int)mode);
            if (contents.Wants(path, (int)mode) && fileSize <= limits.MaxKeptFileBytes)
            {
                var data = new byte[(int)dataPadded];
                if (await FillAsync(data, ct) < data.Length)
                {
                    return CpioStatus.Truncated;
                }

                contents.Keep(path, data.AsSpan(0, (int)fileSize));
            }
            else if (await SkipAsync(dataPadded, ct) < dataPadded)
            {
                return CpioStatus.Truncated;
            }
        }
    }

    /// <summary>Skips zero bytes after a trailer; returns how many non-zero bytes now start <paramref name="buffer"/>, or -1 at the end.</summary>
    private async Task<int> SkipZerosAsync(byte[] buffer, int got, CancellationToken ct)
    {
        while (true)
        {
            var first = buffer.AsSpan(0, got).IndexOfAnyExcept((byte)0);
            if (first >= 0)
            {
                buffer.AsSpan(first, got - first).CopyTo(buffer);
                return got - first;
            }

            got = await FillAsync(buffer.AsMemory(0, 6), ct);
            if (got == 0)
            {
                return -1;
            }
        }
    }

    private async Task<int> FillAsync(Memory<byte> into, CancellationToken ct)
    {
        var total = 0;
        while (total < into.Length)
        {
            var n = await stream.ReadAsync(into[total..], ct);
            if (n <= 0)
            {
                break;
            }

            total += n;
        }

        Position += total;
        return total;
    }

    private async Task<long> SkipAsync(long count, CancellationToken ct)
    {
        var done = 0L;
        while (done < count)
        {
            var n = await FillAsync(_scratch.AsMemory(0, (int)Math.Min(_scratch.Length, count - done)), ct);
            if (n == 0)
            {
                break;
            }

            done += n;
        }

        return done;
    }

    private static long Align4(long n) => (n + 3) & ~3L;

    private static bool TryHex(ReadOnlySpan<byte> header, int at, out long value)
    {
        value = 0;
        if ((uint)(at + 8) > (uint)header.Length)
        {
            return false;
        }

        var ok = uint.TryParse(Encoding.ASCII.GetString(header.Slice(at, 8)), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v);
        value = v;
        return ok;
    }

    /// <summary>The first bytes of a stream that start a compressed archive, as the kernel's decompressors recognise them.</summary>
    public static string? CompressionOf(ReadOnlySpan<byte> head) => head switch
    {
        [0x1F, 0x8B, ..] or [0x1F, 0x9E, ..] => "gzip",
        [0x28, 0xB5, 0x2F, 0xFD, ..] => "zstd",
        [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, ..] => "xz",
        [0x02, 0x21, 0x4C, 0x18, ..] or [0x04, 0x22, 0x4D, 0x18, ..] => "lz4",
        [0x42, 0x5A, 0x68, ..] => "bzip2",
        [0x89, 0x4C, 0x5A, 0x4F, ..] => "lzo",
        [0x5D, 0x00, 0x00, ..] => "lzma",
        _ => null,
    };
}
