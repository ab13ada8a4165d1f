using System.Globalization;
using System.Text;

namespace BladeProvisioner.Storage.Tests.Images.Initramfs;

/// <summary>Writes newc cpio archives byte by byte (buffer-format.rst), so tests can cut, pad and corrupt them at will.</summary>
internal sealed class Newc
{
    private readonly MemoryStream _out = new();
    private int _ino = 1;

    public Newc File(string name, string text, int mode = 0x81A4) => Entry(name, Encoding.UTF8.GetBytes(text), mode);

    public Newc Directory(string name) => Entry(name, [], 0x41ED);

    public Newc Entry(string name, byte[] data, int mode, string magic = "070701", long? declaredSize = null, int? declaredNameSize = null)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name + "\0");
        var fields = new long[] { _ino++, mode, 0, 0, 1, 0, declaredSize ?? data.Length, 0, 0, 0, 0, declaredNameSize ?? nameBytes.Length, 0 };
        var header = new StringBuilder(magic);
        foreach (var f in fields)
        {
            header.Append(((uint)f).ToString("X8", CultureInfo.InvariantCulture));
        }

        Write(Encoding.ASCII.GetBytes(header.ToString()));
        Write(nameBytes);
        Pad();
        Write(data);
        Pad();
        return this;
    }

    public Newc Trailer() => Entry("TRAILER!!!", [], 0);

    public Newc Zeros(int count) => Raw(new byte[count]);

    public Newc Raw(byte[] bytes)
    {
        Write(bytes);
        return this;
    }

    public byte[] ToArray() => _out.ToArray();

    private void Write(byte[] bytes) => _out.Write(bytes);

    private void Pad()
    {
        while (_out.Length % 4 != 0)
        {
            _out.WriteByte(0);
        }
    }
}
