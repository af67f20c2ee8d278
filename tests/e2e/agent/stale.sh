#!/usr/bin/env bash
# Stale and foreign bytes on the channel never get misread:
#  - modem commands and noise from the host side before a session;
#  - noise and AT commands from the guest side (xensim fault garbage), held by
#    the backend and delivered to the next host connection;
#  - a host that disconnects in the middle of a frame, then a new host;
#  - a host that talks while the agent is down (the tty echoes, then the agent
#    reopens it raw).
source "$SRC_DIR/tests/e2e/agent/common.sh"
agent_setup
agent_start

doc() { # GEN HOSTNAME
	printf '{"generation": %s, "hostname": "%s", "write_files": [{"path": "/etc/gen", "content": "%s"}]}\n' "$1" "$2" "$1" >"$E2E_TMP/doc$1.json"
	echo "$E2E_TMP/doc$1.json"
}

# 1. Host-side junk before the session.
python3 "$FRAMES" raw "$SOCK" 'AT\r\nATZ\r\nATDT5551234\r\n\xf1xch\x01\x03 half a header \xf1\xf1xc'
provision_json "$E2E_TMP/p1.json" "$DOM" --config "$(doc 1 one)" --timeout 20 ||
	fail "provision after host-side junk: $(cat "$E2E_TMP/p1.json")"
[ "$(cat "$ROOT/etc/hostname")" = one ] || fail "hostname after junk"

# 2. Guest-side junk, with no host connected: held, then read by the next host.
"$XENSIM" fault "$DOM" 1 garbage 'AT\r\nATE0\r\n' || fail "xensim fault garbage (text)"
"$XENSIM" fault "$DOM" 1 garbage 700 || fail "xensim fault garbage (count)"
"$XENSIM" fault "$DOM" 1 garbage '\xf1xch\x01\x04\x01\x00' || fail "xensim fault garbage (fake magic)"
provision_json "$E2E_TMP/p2.json" "$DOM" --config "$(doc 2 two)" --timeout 20 ||
	fail "provision after guest-side junk: $(cat "$E2E_TMP/p2.json")"
[ "$(cat "$ROOT/etc/hostname")" = two ] || fail "hostname after guest junk"

# 3. A host that goes away mid-frame: the half frame (an apply of generation
#    99) must never be applied, and the next host must get through at once.
printf '{"generation": 99, "hostname": "evil"}' >"$E2E_TMP/evil.json"
python3 "$FRAMES" partial "$SOCK" "$E2E_TMP/evil.json"
provision_json "$E2E_TMP/p3.json" "$DOM" --config "$(doc 3 three)" --timeout 20 ||
	fail "provision after a half frame: $(cat "$E2E_TMP/p3.json")"
[ "$(cat "$ROOT/etc/hostname")" = three ] || fail "hostname after a half frame: $(cat "$ROOT/etc/hostname")"
st=$(agent_status)
python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["generation"] == 3, s' "$st" ||
	fail "generation after a half frame: $st"

# 4. The host speaks while the agent is down: the tty is cooked and echoes our
#    HELLOs back; the agent comes back, makes it raw, and the session starts.
agent_stop
# Wait until the host is connected and its bytes have left the socket for the
# ring (moved to the guest, or waiting in the ring).
hello_in_flight() {
	python3 - "$XENSIM_RUN_DIR/xenchanneld/control.sock" "$DOM" "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"stats\n")
data = b""
while True:
    b = s.recv(65536)
    if not b: break
    data += b
for line in data.decode().splitlines():
    o = json.loads(line)
    if o.get("domid") == int(sys.argv[2]) and o.get("devid") == 1:
        if sys.argv[3] == "count":
            print(o["bytes_to_guest"])
            sys.exit(0)
        sys.exit(0 if o["client_connected"] and o["bytes_to_guest"] > int(sys.argv[3]) else 1)
sys.exit(1)
PY
}
before=$(hello_in_flight count)
"$XENCHANNEL" provision "$DOM" --config "$(doc 4 four)" --timeout 30 >"$E2E_TMP/p4.out" 2>&1 &
PROV=$!
E2E_PIDS+=("$PROV")
wait_for 10 hello_in_flight "$before" || fail "the host's HELLO never reached the ring"
agent_start
wait "$PROV" || fail "provision across an agent restart: $(cat "$E2E_TMP/p4.out")"
[ "$(cat "$ROOT/etc/hostname")" = four ] || fail "hostname after agent restart"
pass "stale: junk both ways, half frame, echo while the agent was down"
