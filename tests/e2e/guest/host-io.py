#!/usr/bin/env python3
"""dom0 side of the data-path tests: a client of the channel's unix socket.

host-io.py SOCK line TEXT      wait for "ready", send TEXT\\n, print the next line
host-io.py SOCK send N SEED    wait for "ready", send N pseudo-random bytes, print their sha256
host-io.py SOCK recv N         read exactly N bytes, print their sha256
The write side is never shut down: the channel has no end-of-stream.
"""
import hashlib
import random
import socket
import sys

def main():
    path, mode = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(path)
    if mode == "line":
        f = s.makefile("rb")
        first = f.readline()
        if first != b"ready\n":
            sys.exit("host-io: expected ready, got %r" % first)
        s.sendall(sys.argv[3].encode() + b"\n")
        sys.stdout.write(f.readline().decode(errors="replace"))
    elif mode == "send":
        f = s.makefile("rb")
        first = f.readline()
        if first != b"ready\n":
            sys.exit("host-io: expected ready, got %r" % first)
        n, seed = int(sys.argv[3]), int(sys.argv[4])
        data = random.Random(seed).randbytes(n)
        s.sendall(data)
        print(hashlib.sha256(data).hexdigest())
        # keep the connection until the reader confirms (EOF on stdin)
        sys.stdin.read()
    elif mode == "recv":
        n = int(sys.argv[3])
        h = hashlib.sha256()
        got = 0
        while got < n:
            b = s.recv(min(65536, n - got))
            if not b:
                sys.exit("host-io: closed after %d of %d bytes" % (got, n))
            h.update(b)
            got += len(b)
        print(h.hexdigest())
    else:
        sys.exit("host-io: unknown mode " + mode)

main()
