#!/usr/bin/env python3
"""Reads a BIOS blade's VGA text screen (80x25 at physical 0xb8000) through QMP pmemsave.

BIOS iPXE writes its menus only to VGA, so this is how a test "looks at" the blade's console.
The text buffer is 2 bytes per cell (code page 437 character, attribute); attributes are dropped.

usage: vgatext.py SOCKET                          print the screen
       vgatext.py SOCKET --wait REGEX [--timeout S]  poll until the screen matches (exit 1 on timeout)
"""
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmp import Qmp  # noqa: E402

COLUMNS, ROWS = 80, 25


def read_screen(qmp: Qmp) -> str:
    # pmemsave writes on QEMU's side; QEMU may run in another namespace but shares the filesystem.
    fd, path = tempfile.mkstemp(prefix="bp-vga-", suffix=".bin")
    os.close(fd)
    try:
        qmp.execute("pmemsave", {"val": 0xB8000, "size": COLUMNS * ROWS * 2, "filename": path})
        with open(path, "rb") as f:
            raw = f.read()
    finally:
        os.unlink(path)
    text = raw[0::2].decode("cp437")
    return "\n".join(text[r * COLUMNS:(r + 1) * COLUMNS].rstrip() for r in range(ROWS))


def main(argv) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    pattern, timeout = None, 60.0
    i = 2
    while i < len(argv):
        if argv[i] == "--wait":
            pattern = re.compile(argv[i + 1])
            i += 2
        elif argv[i] == "--timeout":
            timeout = float(argv[i + 1])
            i += 2
        else:
            print(__doc__, file=sys.stderr)
            return 2
    qmp = Qmp(argv[1])
    deadline = time.monotonic() + timeout
    screen = read_screen(qmp)
    while pattern is not None and not pattern.search(screen):
        if time.monotonic() >= deadline:
            print(screen)
            print(f"vgatext: screen did not match /{pattern.pattern}/ within {timeout:g}s", file=sys.stderr)
            return 1
        time.sleep(0.25)
        screen = read_screen(qmp)
    print(screen)
    qmp.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
