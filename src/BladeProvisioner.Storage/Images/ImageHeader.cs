using System.Buffers.Binary;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Storage.Images;

/// <summary>
/// The image format by its on-disk magic, read by us rather than guessed by qemu-img, so that qemu-img is always told
/// the format (<c>-f</c>). Anything without a known magic is raw, which can reference no other file.
/// </summary>
internal static class ImageHeader
{
    private const int FooterLength = 512;

    private static ReadOnlySpan<byte> QcowMagic => [(byte)'Q', (byte)'F', (byte)'I', 0xFB];

    public static ImageFormat Sniff(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        var length = RandomAccess.GetLength(handle);
        Span<byte> head = stackalloc byte[64];
        var read = RandomAccess.Read(handle, head, 0);
        head = head[..read];

        if (head.StartsWith(QcowMagic))
        {
            // qcow2 header: magic, then the version (2 or 3); version 1 is the old qcow, which qemu-img can back with any file.
            var version = head.Length >= 8 ? BinaryPrimitives.ReadUInt32BigEndian(head[4..]) : 0;
            return version is 2 or 3
                ? ImageFormat.Qcow2
                : throw DomainException.Invalid(ErrorCodes.ImageFormatUnsupported, $"qcow version {version} is not supported (qcow2 versions 2 and 3 are).");
        }

        if (head.StartsWith("KDMV"u8))
        {
            // A hosted sparse VMDK (monolithicSparse, streamOptimized): its embedded descriptor names the file itself.
            return ImageFormat.Vmdk;
        }

        if (head.StartsWith("# Disk DescriptorFile"u8) || head.StartsWith("COWD"u8))
        {
            // A text descriptor keeps the data in the extent files it names (any path on the host); COWD is VMware 3's
            // format with a parent file name in its header.
            throw DomainException.Invalid(
                ErrorCodes.ImageExternalReference,
                $"'{Path.GetFileName(path)}' is a VMDK descriptor whose data lives in other files. Import a monolithic sparse VMDK, or convert it to qcow2 or raw first.");
        }

        if (head.StartsWith("vhdxfile"u8))
        {
            return ImageFormat.Vhdx;
        }

        // VHD: the footer at the end (fixed disks), copied at the start of dynamic ones.
        if (head.StartsWith("conectix"u8))
        {
            return ImageFormat.Vhd;
        }

        if (length >= FooterLength)
        {
            Span<byte> footer = stackalloc byte[8];
            if (RandomAccess.Read(handle, footer, length - FooterLength) == footer.Length && footer.SequenceEqual("conectix"u8))
            {
                return ImageFormat.Vhd;
            }
        }

        return ImageFormat.Raw;
    }
}
