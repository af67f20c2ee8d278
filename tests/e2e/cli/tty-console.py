#!/usr/bin/env python3
"""xenchannel console on a terminal: a pseudo-terminal plays the admin's.

tty-console.py MODE XENCHANNEL DOMAIN CHANNEL
  The guest runs guest-io.py echo-line on the channel. Checks that the
  terminal is raw while the console runs (no echo, no line editing, no
  signals from keys), that a line goes through and its echo comes back, that
  Ctrl-C is passed to the guest rather than acted upon, and that the
  terminal's settings are back as they were after the console ends, by
  MODE: "escape" (Ctrl-], exit 0) or "sigterm" (SIGTERM, exit 1).
"""
import os
import select
import signal
import subprocess
import sys
import termios
import time


def read_until(fd, want, got=b"", secs=30):
    end = time.monotonic() + secs
    while want not in got:
        left = end - time.monotonic()
        r, _, _ = select.select([fd], [], [], max(left, 0))
        if not r:
            sys.exit("tty-console: no %r within %ds; got %r" % (want, secs, got))
        try:
            got += os.read(fd, 4096)
        except OSError:
            sys.exit("tty-console: the terminal closed; got %r" % got)
    return got


def main():
    mode, xc, dom, chan = sys.argv[1:5]
    master, slave = os.openpty()
    before = termios.tcgetattr(slave)
    if not (before[3] & termios.ICANON and before[3] & termios.ECHO):
        sys.exit("tty-console: the new terminal is not in cooked mode")
    p = subprocess.Popen([xc, "console", dom, chan], stdin=slave, stdout=slave,
                         stderr=slave, start_new_session=True)
    got = read_until(master, b"Escape character is '^]'")
    # "ready" comes from the guest through the channel, so after raw mode
    got = read_until(master, b"ready\n", got)
    t = termios.tcgetattr(slave)
    for flag in ("ICANON", "ECHO", "ISIG"):
        if t[3] & getattr(termios, flag):
            sys.exit("tty-console: %s still set while the console runs" % flag)
    if t[0] & termios.ICRNL:
        sys.exit("tty-console: ICRNL still set while the console runs")
    # Ctrl-C is a byte for the guest, not a signal for the console
    os.write(master, b"tty\x03ping\n")
    got = read_until(master, b"echo:tty\x03ping\n", got)
    if p.poll() is not None:
        sys.exit("tty-console: the console ended on Ctrl-C")
    if mode == "escape":
        os.write(master, b"\x1d")
        want = 0
    else:
        p.send_signal(signal.SIGTERM)
        want = 1
    try:
        rc = p.wait(30)
    except subprocess.TimeoutExpired:
        p.kill()
        sys.exit("tty-console: the console did not end after %s" % mode)
    if rc != want:
        sys.exit("tty-console: exit status %d after %s, want %d" % (rc, mode, want))
    after = termios.tcgetattr(slave)
    if after[:6] != before[:6]:
        sys.exit("tty-console: terminal not restored after %s: %r != %r" % (mode, after, before))
    print("ok: raw mode, bytes both ways, Ctrl-C passed, terminal restored after", mode)


main()
