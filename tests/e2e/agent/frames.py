#!/usr/bin/env python3
"""frames.py - raw agent-protocol frames for the e2e tests (docs/protocol.md).

  frames.py raw SOCK TEXT          connect, send TEXT (\\xNN escapes), close
  frames.py partial SOCK DOCFILE   connect, send HELLO and the first half of an
                                   apply frame for DOCFILE, then close
  frames.py hmac-line DOCFILE KEYFILE [ALTERED_DOCFILE]
                                   print an agent-shell request line: apply with
                                   the HMAC of DOCFILE, sending ALTERED_DOCFILE's
                                   text if given
"""
import hmac, hashlib, json, socket, struct, sys

POLY = 0x82F63B78
TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ POLY if c & 1 else c >> 1
    TABLE.append(c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = (c >> 8) ^ TABLE[(c ^ b) & 0xFF]
    return c ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283


def frame(ftype, epoch, seq, obj, flags=0):
    payload = json.dumps(obj, separators=(",", ":")).encode()
    hdr = b"\xF1xch" + struct.pack("<BBHIII", 1, ftype, flags, epoch, seq, len(payload))
    hdr += struct.pack("<I", crc32c(payload))
    hdr += struct.pack("<I", crc32c(hdr))
    return hdr + payload


def unescape(s):
    return s.encode().decode("unicode_escape").encode("latin-1")


def main():
    cmd = sys.argv[1]
    if cmd == "raw":
        s = socket.socket(socket.AF_UNIX)
        s.connect(sys.argv[2])
        s.sendall(unescape(sys.argv[3]))
        s.close()
    elif cmd == "partial":
        doc = open(sys.argv[3]).read()
        s = socket.socket(socket.AF_UNIX)
        s.connect(sys.argv[2])
        s.sendall(frame(1, 7, 1, {"epoch": 7, "nonce": "gone", "versions": [1]}))
        f = frame(3, 7, 2, {"id": 1, "op": "apply", "document": doc})
        s.sendall(f[: len(f) // 2])
        s.close()
    elif cmd == "hmac-line":
        doc = open(sys.argv[2]).read()
        key = open(sys.argv[3], "rb").read()
        if key.endswith(b"\n"):
            key = key[:-1]
        mac = hmac.new(key, doc.encode(), hashlib.sha256).hexdigest()
        sent = open(sys.argv[4]).read() if len(sys.argv) > 4 else doc
        print(json.dumps({"op": "apply", "document": sent, "hmac": mac}))
    else:
        sys.exit("frames.py: unknown command " + cmd)


if __name__ == "__main__":
    main()
