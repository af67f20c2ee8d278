#!/usr/bin/env bash
# Resynchronisation: whatever an earlier client left in the agent's parser,
# and whatever the guest side wrote before we connected (noise, 0xFF,
# replies to other clients), the next command gets its own answer.
source "$SRC_DIR/tests/e2e/qga/common.sh"
qga_setup
DOM=$(qga_guest q1)
qga_start "$DOM" q1host 198.51.100.17/24
SOCK=$E2E_TMP/q1.sock
TTY=$XENSIM_RUN_DIR/domains/$DOM/root/dev/xen-channel/$QGA_NAME
O=$E2E_TMP/out
qga "$O" --timeout 20 q1 guest-ping || fail "first guest-ping: $(cat "$O.err")"

# 1. An earlier client left half a command and binary noise (fixed bytes,
# 0xFF included) in the agent's parser, and went away without reading.
python3 -c '
import random, sys
r = random.Random(15)
noise = bytes(r.randrange(256) for _ in range(3000))
sys.stdout.buffer.write(b"{\"execute\": \"guest-get-osinfo\", \"arguments\": {\"x\": [1, {" + noise + b"{\"execute\": \"guest-")' |
	socat -u - "UNIX-CONNECT:$SOCK" || fail "socat could not write the garbage"
qga "$O" q1 guest-get-host-name || fail "after host-side garbage: $(cat "$O.err")"
jcheck "$O" 'j == {"host-name": "q1host"}'

# 2. The guest side wrote noise and stale replies (another client's sync, a
# reply to another id, an id-less reply, an unterminated object) before we
# connected: they reach the next client first, which must skip them.
printf 'noise\xff{"return": 42}\n{"return": {"host-name": "stale"}, "id": 99}\n{"return": {"host-name": "stale2"}}\n\xff{"return": {"host-name": "st' >"$TTY"
qga "$O" q1 guest-get-host-name || fail "after guest-side garbage: $(cat "$O.err")"
jcheck "$O" 'j == {"host-name": "q1host"}'

# 3. A client gave up on a stopped agent; once the agent runs again, its late
# replies to that client are stale for the next one.
kill -STOP "$QGA_PID"
rc=0; qga "$O" --timeout 1 q1 guest-get-osinfo || rc=$?
[ $rc = 2 ] && grep -q "no agent answered guest-sync-delimited" "$O.err" ||
	fail "stopped agent: exit $rc: $(cat "$O.err")"
kill -CONT "$QGA_PID"
qga "$O" --timeout 20 q1 guest-get-host-name || fail "after a stale client: $(cat "$O.err")"
jcheck "$O" 'j == {"host-name": "q1host"}'
qga "$O" q1 guest-network-get-interfaces || fail "interfaces: $(cat "$O.err")"
jcheck "$O" 'any(a["ip-address"] == "198.51.100.17" for x in j for a in x.get("ip-addresses", []))'
kill -0 "$QGA_PID" || fail "qemu-ga died"
pass "qga: resynchronised after host-side garbage, guest-side noise and stale replies"
