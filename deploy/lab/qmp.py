#!/usr/bin/env python3
"""Drives a lab blade's QEMU through its QMP socket.

usage: qmp.py SOCKET COMMAND [ARGS...]
  status                       run state (running, paused, shutdown...)
  send-text TEXT               type TEXT (US layout; "\\n" in TEXT presses Enter)
  send-keys KEY...             press keys by QEMU qcode; chords with '-': ret, down, ctrl-alt-delete
  screendump FILE              save the screen (PNG if FILE ends in .png, else PPM)
  reset | powerdown | quit     system_reset / ACPI power button / stop QEMU
  raw QMP-COMMAND [JSON-ARGS]  any QMP command, prints the JSON reply
  hmp "HUMAN COMMAND"          a human monitor command, prints its output
Options: --wait S  wait up to S seconds for the socket to appear (default 5).
"""
import json
import os
import socket
import sys
import time

SHIFTED = {
    '!': '1', '@': '2', '#': '3', '$': '4', '%': '5', '^': '6', '&': '7', '*': '8', '(': '9',
    ')': '0', '_': 'minus', '+': 'equal', '{': 'bracket_left', '}': 'bracket_right', '|': 'backslash',
    ':': 'semicolon', '"': 'apostrophe', '~': 'grave_accent', '<': 'comma', '>': 'dot', '?': 'slash',
}
PLAIN = {
    ' ': 'spc', '\n': 'ret', '\t': 'tab', '-': 'minus', '=': 'equal', '[': 'bracket_left',
    ']': 'bracket_right', '\\': 'backslash', ';': 'semicolon', "'": 'apostrophe', '`': 'grave_accent',
    ',': 'comma', '.': 'dot', '/': 'slash',
}


class Qmp:
    def __init__(self, path: str, wait: float = 5.0):
        deadline = time.monotonic() + wait
        while True:
            try:
                self._sock = socket.socket(socket.AF_UNIX)
                self._sock.connect(path)
                break
            except OSError:
                self._sock.close()
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)
        self._file = self._sock.makefile("rw")
        self._file.readline()  # greeting
        self.execute("qmp_capabilities")

    def execute(self, command: str, arguments=None):
        message = {"execute": command}
        if arguments is not None:
            message["arguments"] = arguments
        self._file.write(json.dumps(message) + "\n")
        self._file.flush()
        while True:
            reply = json.loads(self._file.readline())
            if "event" in reply:
                continue
            if "error" in reply:
                raise RuntimeError(f"{command}: {reply['error'].get('desc')}")
            return reply.get("return")

    def close(self):
        self._sock.close()


def qcodes_for_char(ch: str):
    if ch.isascii() and ch.isalpha():
        return ["shift", ch.lower()] if ch.isupper() else [ch]
    if ch.isdigit():
        return [ch]
    if ch in PLAIN:
        return [PLAIN[ch]]
    if ch in SHIFTED:
        return ["shift", SHIFTED[ch]]
    raise ValueError(f"no key for {ch!r}")


def send_chord(qmp: Qmp, codes):
    keys = [{"type": "qcode", "data": c} for c in codes]
    qmp.execute("send-key", {"keys": keys, "hold-time": 50})
    time.sleep(0.06)  # let the guest see the release before the next key


def main(argv) -> int:
    wait = 5.0
    if len(argv) > 2 and argv[1] == "--wait":
        wait = float(argv[2])
        argv = [argv[0]] + argv[3:]
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    qmp = Qmp(argv[1], wait)
    cmd, args = argv[2], argv[3:]
    if cmd == "status":
        print(qmp.execute("query-status")["status"])
    elif cmd == "send-text":
        for ch in " ".join(args).replace("\\n", "\n"):
            send_chord(qmp, qcodes_for_char(ch))
    elif cmd == "send-keys":
        for key in args:
            send_chord(qmp, key.split("-") if key != "minus" else ["minus"])
    elif cmd == "screendump":
        path = os.path.abspath(args[0])
        arguments = {"filename": path}
        if path.endswith(".png"):
            arguments["format"] = "png"
        qmp.execute("screendump", arguments)
    elif cmd == "reset":
        qmp.execute("system_reset")
    elif cmd == "powerdown":
        qmp.execute("system_powerdown")
    elif cmd == "quit":
        qmp.execute("quit")
    elif cmd == "raw":
        print(json.dumps(qmp.execute(args[0], json.loads(args[1]) if len(args) > 1 else None)))
    elif cmd == "hmp":
        print(qmp.execute("human-monitor-command", {"command-line": " ".join(args)}), end="")
    else:
        print(__doc__, file=sys.stderr)
        return 2
    qmp.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
