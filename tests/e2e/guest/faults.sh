#!/bin/bash
# e2e-guest-faults: `xensim fault` makes the simulated guest misbehave on
# purpose, through the frontend's control socket: garbage bytes reach dom0 as
# if the guest wrote them, a stall holds both directions until undone (and
# loses nothing), an event storm and corrupt ring indices are survived by the
# frontend, and bad requests get clear errors.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/guest/guest-lib.sh"
HERE="$SRC_DIR/tests/e2e/guest"
NAME=org.example.faults.0
SOCK=$E2E_TMP/f.sock

guest_start g1
daemon_start
"$XENCHANNEL" attach "$DOM" "name=$NAME,connection=socket,path=$SOCK" >"$E2E_TMP/attach.log" 2>&1 ||
	fail "attach: $(cat "$E2E_TMP/attach.log")"
xs_wait "/local/domain/$DOM/device/console/1/state" 4 || fail "not Connected"
settle

# --- bad requests
if out=$("$XENSIM" fault "$DOM" 9 stall 2>&1); then fail "fault on a missing device succeeded"; fi
grep -q "no console device 9" <<<"$out" || fail "unclear error for a missing device: $out"
if out=$("$XENSIM" fault "$DOM" 1 melt 2>&1); then fail "an unknown fault succeeded"; fi
grep -q "unknown fault 'melt'" <<<"$out" || fail "unclear error for an unknown fault: $out"
[ "$(fe fault 1 event-storm 0)" = "error event-storm count '0' is not 1..1000000" ] ||
	fail "event-storm 0 accepted"
[ "$(fe fault 1 garbage)" = "error garbage needs BYTES (a count or text)" ] ||
	fail "garbage without bytes accepted"
[ "$(fe launch)" = "error unknown request 'launch' (fault, status, settle)" ] ||
	fail "unknown request accepted"

# --- garbage: bytes appear in `out` as if the guest wrote them
before=$(status_field console-1 bytes_out)
bg host-recv python3 "$HERE/host-io.py" "$SOCK" recv 105
hr=$LAST_PID
"$XENSIM" fault "$DOM" 1 garbage 'junk\x00' >/dev/null || fail "garbage text"
"$XENSIM" fault "$DOM" 1 garbage 100 >/dev/null || fail "garbage count"
wait "$hr" || fail "dom0 did not get the garbage: $(cat "$E2E_TMP/host-recv.log")"
[ "$(status_field console-1 bytes_out)" = $((before + 105)) ] || fail "bytes_out did not grow by 105"
want=$( (printf 'junk\0'; python3 -c '
import sys
x = 0x9e3779b9
out = bytearray()
for _ in range(100):
    x ^= (x << 13) & 0xffffffff; x ^= x >> 17; x ^= (x << 5) & 0xffffffff
    out.append(x & 0xff)
sys.stdout.buffer.write(out)') | sha256sum | cut -d' ' -f1)
[ "$(cat "$E2E_TMP/host-recv.log")" = "$want" ] || fail "dom0 got other bytes than injected"

# --- stall: nothing moves either way until undo, then everything arrives
"$XENSIM" fault "$DOM" 1 stall >/dev/null || fail "stall"
[ "$(status_field console-1 stalled)" = 1 ] || fail "not stalled"
op=$(status_field console-1 out_prod)
"$XENSIM" exec "$DOM" -- python3 "$HERE/guest-io.py" "$ROOT/dev/hvc1" recv 5000 \
	>"$E2E_TMP/guest-recv.out" 2>"$E2E_TMP/guest-recv.log" &
gr=$!
E2E_PIDS+=("$gr")
mkfifo "$E2E_TMP/hold"
exec 9<>"$E2E_TMP/hold"
bg host-send python3 "$HERE/host-io.py" "$SOCK" send 5000 3 <"$E2E_TMP/hold" 9>&-
hs=$LAST_PID
guest_opened() { [ "$(status_field console-1 opens)" = 1 ]; }
wait_for 10 guest_opened || fail "the guest never opened hvc1"
settle
[ "$(status_field console-1 out_prod)" = "$op" ] || fail "out moved while stalled"
"$XENSIM" fault "$DOM" 1 undo >/dev/null || fail "undo"
wait "$gr" || fail "guest recv after undo: $(cat "$E2E_TMP/guest-recv.log")"
exec 9>&-
wait "$hs" || fail "host send: $(cat "$E2E_TMP/host-send.log")"
[ "$(cat "$E2E_TMP/guest-recv.out")" = "$(cat "$E2E_TMP/host-send.log")" ] ||
	fail "bytes lost across the stall"

# --- event storm: the frontend and the backend both survive it
[ "$(fe fault 1 event-storm 20000)" = ok ] || fail "event-storm"
daemon_alive || fail "xenchanneld died in the event storm"
[ "$(status_field console-1 state)" = 4 ] || fail "console-1 left Connected after the storm"

# --- corrupt indices: published as asked, restored by undo
oc=$(status_field console-1 out_cons)
op0=$(status_field console-1 out_prod)
[ "$(fe fault 1 corrupt-index)" = ok ] || fail "corrupt-index"
[ "$(status_field console-1 corrupt)" = 1 ] || fail "not marked corrupt"
op=$(status_field console-1 out_prod)
[ $(((op - oc) & 0xffffffff)) -eq $((0x40000000)) ] || fail "out_prod $op is not out_cons+2^30"
[ "$(fe fault 1 undo)" = ok ] || fail "undo of corrupt-index"
[ "$(status_field console-1 corrupt)" = 0 ] || fail "still corrupt after undo"
[ "$(status_field console-1 out_prod)" = "$op0" ] || fail "out_prod not restored"
pass "bad requests, garbage, stall and undo, event storm, corrupt indices"
