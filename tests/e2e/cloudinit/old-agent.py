#!/usr/bin/env python3
"""old-agent.py SOCK - an agent from before NoCloud seeds, for the e2e tests:
listens on the unix socket SOCK (what the host would reach through the
backend) and speaks the protocol as xenchannel-agent 0.1 did: READY without
the "nocloud" capability, status at generation 0, and an apply of a
document with "nocloud" refused as that agent refuses unknown keys. Prints
"ready" once listening, then serves connections until killed."""
import json, os, socket, struct, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "agent"))
from frames import crc32c, frame  # noqa: E402

AGENT = 0x0001


def frames(conn):
    buf = b""
    while True:
        data = conn.recv(65536)
        if not data:
            return
        buf += data
        while len(buf) >= 28:
            i = buf.find(b"\xF1xch")
            if i < 0:
                buf = buf[-3:]
                break
            buf = buf[i:]
            if len(buf) < 28:
                break
            ver, ftype, flags, epoch, seq, length, pcrc, hcrc = struct.unpack("<BBHIIIII", buf[4:28])
            if crc32c(buf[:24]) != hcrc:
                buf = buf[1:]
                continue
            if len(buf) < 28 + length:
                break
            payload, buf = buf[28:28 + length], buf[28 + length:]
            yield ftype, epoch, json.loads(payload)


def serve(conn):
    seq = 0
    for ftype, epoch, msg in frames(conn):
        seq += 1
        if ftype == 1:
            conn.sendall(frame(2, epoch, seq, {
                "epoch": epoch, "nonce": msg["nonce"], "version": 1, "agent": "xenchannel-agent 0.1.0",
                "capabilities": ["ping", "status", "apply", "hostname", "network", "users",
                                 "write_files", "hmac-sha256"],
                "policy": {"allow": ["hostname", "network", "users", "write_files"],
                           "hmac_required": False}, "generation": 0}, AGENT))
        elif ftype == 3 and msg.get("op") == "status":
            conn.sendall(frame(4, epoch, seq, {"id": msg["id"], "ok": True, "result": {
                "generation": 0, "digest": "", "results": []}}, AGENT))
        elif ftype == 3:
            doc = json.loads(msg.get("document", "{}"))
            bad = [k for k in doc if k not in ("generation", "hostname", "fqdn", "network", "users",
                                               "write_files")]
            reply = {"id": msg["id"], "ok": False, "error": {"code": "invalid", "message":
                     "%s: unknown key; nothing applied" % bad[0]}} if bad else \
                {"id": msg["id"], "ok": True, "result": {"generation": doc["generation"], "items": [],
                 "summary": {"applied": 0, "unchanged": 0, "failed": 0, "refused": 0}}}
            conn.sendall(frame(4, epoch, seq, reply, AGENT))


s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(1)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    with c:
        serve(c)
