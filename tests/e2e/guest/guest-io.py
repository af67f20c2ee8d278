#!/usr/bin/env python3
"""Guest side of the data-path tests: runs inside the simulated guest.

guest-io.py TTY echo-line      say "ready", read one line, write it back prefixed "echo:"
guest-io.py TTY send N SEED    write N pseudo-random bytes, print their sha256
guest-io.py TTY recv N         say "ready", read exactly N bytes, print their sha256
The tty is put in raw mode first (channels are not terminals).
"""
import hashlib
import os
import random
import select
import sys
import termios
import tty

def main():
    path, mode = sys.argv[1], sys.argv[2]
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    if mode == "echo-line":
        os.write(fd, b"ready\n")
        buf = b""
        while not buf.endswith(b"\n"):
            r, _, _ = select.select([fd], [], [], 30)
            if not r:
                sys.exit("guest-io: timed out reading a line, got %r" % buf)
            buf += os.read(fd, 4096)
        os.write(fd, b"echo:" + buf)
        termios.tcdrain(fd)
    elif mode == "send":
        n, seed = int(sys.argv[3]), int(sys.argv[4])
        data = random.Random(seed).randbytes(n)
        view = memoryview(data)
        while view:
            w = os.write(fd, view[:65536])
            view = view[w:]
        termios.tcdrain(fd)
        print(hashlib.sha256(data).hexdigest())
    elif mode == "recv":
        # Only now may dom0 send: bytes that reach the tty before raw mode is
        # set are flushed by tcsetattr(TCSAFLUSH) or mangled by the line
        # discipline, exactly as on a real hvc tty.
        os.write(fd, b"ready\n")
        n = int(sys.argv[3])
        h = hashlib.sha256()
        got = 0
        while got < n:
            r, _, _ = select.select([fd], [], [], 30)
            if not r:
                sys.exit("guest-io: timed out after %d of %d bytes" % (got, n))
            b = os.read(fd, min(65536, n - got))
            h.update(b)
            got += len(b)
        print(h.hexdigest())
    else:
        sys.exit("guest-io: unknown mode " + mode)

main()
