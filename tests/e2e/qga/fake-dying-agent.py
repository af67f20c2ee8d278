#!/usr/bin/env python3
"""fake-dying-agent.py TTY LOG: an agent that dies in the middle of a command.

It answers the client's guest-sync-delimited handshake as qemu-ga does
(0xFF, then {"return": id}), reads the command that follows, writes its name
to LOG and exits without answering: what the client sees when qemu-ga is
restarted while a command runs. The real qemu-ga is started after it on the
same tty.
"""
import json
import os
import sys
import termios
import tty

path, log = sys.argv[1], sys.argv[2]
fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
tty.setraw(fd, termios.TCSANOW)
buf, dec, synced = "", json.JSONDecoder(), False
while True:
    data = os.read(fd, 4096)
    if not data:
        sys.exit("fake agent: channel closed")
    # 0xFF resets the parser, as in qemu-ga; only whole objects count.
    buf = (buf + data.decode("latin-1")).split("\xff")[-1]
    while True:
        start = buf.find("{")
        if start < 0:
            buf = ""
            break
        try:
            obj, end = dec.raw_decode(buf, start)
        except ValueError:
            buf = buf[start:]
            break
        buf = buf[end:]
        cmd = obj.get("execute") if isinstance(obj, dict) else None
        if cmd == "guest-sync-delimited" and not synced:
            reply = {"return": obj["arguments"]["id"]}
            if "id" in obj:
                reply["id"] = obj["id"]
            os.write(fd, b"\xff" + json.dumps(reply).encode() + b"\n")
            synced = True
        elif cmd and synced and cmd != "guest-sync-delimited":
            with open(log, "a") as f:
                f.write(cmd + "\n")
            sys.exit(0)
