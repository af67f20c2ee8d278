#!/usr/bin/env bash
# e2e-cli-console: `xenchannel console` on a socket and on a pty channel,
# bytes both ways through a simulated guest's /dev/xen-channel device; stdin
# not a terminal (copy until stdin ends, or until --timeout), on a terminal
# (raw mode, Ctrl-] leaves, the terminal restored, also on SIGTERM); clear
# errors for no such domain, no such channel, backend not connected, socket
# refused.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/guest/guest-lib.sh"
source "$SRC_DIR/tests/e2e/toolstack/common.sh"
GIO="$SRC_DIR/tests/e2e/guest/guest-io.py"
S=org.example.console.0
P=org.example.console.1

guest_start c1
daemon_start
"$XENCHANNEL" attach "$DOM" "name=$S,connection=socket,path=$E2E_TMP/s.sock" >/dev/null ||
	fail "attach socket channel"
"$XENCHANNEL" attach "$DOM" "name=$P,connection=pty" >/dev/null || fail "attach pty channel"
for id in 1 2; do
	xs_wait "/local/domain/0/backend/console/$DOM/$id/state" 4 || fail "channel $id not Connected"
done
settle

# console_echo WHICH LINE: the guest answers one line through `console`
# whose stdin is a pipe the test holds; closing it ends the console.
console_echo() {
	local which=$1 line=$2 gp cp rc=0
	rm -f "$E2E_TMP/in" "$E2E_TMP/out"
	mkfifo "$E2E_TMP/in"
	bg guest-echo "$XENSIM" exec "$DOM" -- python3 "$GIO" "$ROOT/dev/xen-channel/$3" echo-line
	gp=$LAST_PID
	"$XENCHANNEL" console "$DOM" "$which" <"$E2E_TMP/in" >"$E2E_TMP/out" 2>"$E2E_TMP/console.err" &
	cp=$!
	E2E_PIDS+=("$cp")
	exec 3>"$E2E_TMP/in"
	wait_for 30 grep -q '^ready$' "$E2E_TMP/out" || fail "console $which: no 'ready' from the guest: $(cat "$E2E_TMP/out" "$E2E_TMP/console.err")"
	printf '%s\n' "$line" >&3
	wait_for 30 grep -qx "echo:$line" "$E2E_TMP/out" || fail "console $which: no echo: $(cat "$E2E_TMP/out")"
	exec 3>&-
	wait "$cp" || rc=$?
	[ $rc -eq 0 ] || fail "console $which exited $rc at the end of stdin: $(cat "$E2E_TMP/console.err")"
	wait "$gp" || fail "guest side: $(cat "$E2E_TMP/guest-echo.log")"
	echo "ok: console $which: 'ready' in, '$line' out, 'echo:$line' in"
}
console_echo "$S" "via-socket" "$S"
console_echo 2 "via-pty" "$P"

# stdin from a file, no --timeout: everything is sent, then it ends
bg guest-recv "$XENSIM" exec "$DOM" -- python3 -c '
import os, sys, tty
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
tty.setraw(fd)
print("raw", flush=True)
b = b""
while len(b) < 6:
    b += os.read(fd, 6 - len(b))
print(b.decode())' "$ROOT/dev/xen-channel/$P"
wait_for 30 grep -qx raw "$E2E_TMP/guest-recv.log" || fail "guest recv: $(cat "$E2E_TMP/guest-recv.log")"
printf 'abcdef' >"$E2E_TMP/six"
"$XENCHANNEL" console "$DOM" "$P" <"$E2E_TMP/six" >/dev/null || fail "console with stdin from a file"
wait "$LAST_PID" || fail "guest recv: $(cat "$E2E_TMP/guest-recv.log")"
[ "$(tail -n 1 "$E2E_TMP/guest-recv.log")" = abcdef ] ||
	fail "the guest did not get 'abcdef': $(cat "$E2E_TMP/guest-recv.log")"

# --timeout ends a session whose stdin has ended
start=$SECONDS
"$XENCHANNEL" console --timeout 1 "$DOM" "$S" </dev/null >/dev/null || fail "console --timeout 1 exited $?"
[ $((SECONDS - start)) -ge 1 ] || fail "--timeout 1 ended before a second"

# on a terminal: raw mode, Ctrl-] and SIGTERM, the terminal restored
for mode in escape sigterm; do
	bg guest-echo "$XENSIM" exec "$DOM" -- python3 "$GIO" "$ROOT/dev/xen-channel/$S" echo-line
	python3 "$SRC_DIR/tests/e2e/cli/tty-console.py" $mode "$XENCHANNEL" "$DOM" "$S" ||
		fail "console on a terminal ($mode)"
	wait "$LAST_PID" || fail "guest side ($mode): $(cat "$E2E_TMP/guest-echo.log")"
done

# errors
expect_fail 1 "no-such-vm" "$XENCHANNEL" console no-such-vm "$S"
expect_fail 1 "no channel org.example.none.0 \(1 $S, 2 $P\)" "$XENCHANNEL" console "$DOM" org.example.none.0
expect_fail 1 "no channel 7" "$XENCHANNEL" console "$DOM" 7
expect_fail 2 "usage: xenchannel console" "$XENCHANNEL" console "$DOM"
daemon_stop
"$XENCHANNEL" attach --no-wait "$DOM" "name=org.example.console.2,connection=pty" >/dev/null || fail "attach a third channel"
expect_fail 1 "backend not connected \(state Initialising\)" "$XENCHANNEL" console "$DOM" 3
expect_fail 1 "s.sock refused the connection" "$XENCHANNEL" console "$DOM" "$S"
pass "console"
