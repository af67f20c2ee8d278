#!/usr/bin/env bash
# Operations: systemd readiness (Type=notify), pid file, SIGHUP rescan,
# SIGTERM clean exit that leaves channels Connected, option errors.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/daemon/daemon-lib.sh"

# bad options are refused with a message naming them
"$XENCHANNELD" --socket-mode 0644x 2>"$E2E_TMP/opt.err" && fail "bad --socket-mode accepted"
grep -q "socket-mode '0644x'" "$E2E_TMP/opt.err" || fail "no clear --socket-mode error"
"$XENCHANNELD" --control rel.sock 2>"$E2E_TMP/opt.err" && fail "relative --control accepted"
grep -q "not an absolute path" "$E2E_TMP/opt.err" || fail "no clear --control error"

sim_start
dom=$(new_domain ops)
sd=$(sockdir)

# Type=notify: READY=1 arrives on $NOTIFY_SOCKET once serving, STOPPING=1 on SIGTERM
ns="$E2E_TMP/notify.sock"
socat -u "UNIX-RECV:$ns" - >"$E2E_TMP/notify.out" &
npid=$!
E2E_PIDS+=("$npid")
wait_for 10 test -S "$ns" || fail "socat did not create the notify socket"
NOTIFY_SOCKET="$ns" "$XENCHANNELD" --foreground --stderr --pidfile "$E2E_TMP/fg.pid" \
	2>>"$E2E_TMP/xenchanneld.log" &
DAEMON_PID=$!
E2E_PIDS+=("$DAEMON_PID")
has_ready() { grep -q "READY=1" "$E2E_TMP/notify.out"; }
wait_for 20 has_ready || fail "no READY=1 from xenchanneld"
[ "$(cat "$E2E_TMP/fg.pid")" = "$DAEMON_PID" ] || fail "pid file does not hold the daemon's pid"

dev=$(attach "$dom" "name=org.test.ops,connection=socket,path=$sd/ops.sock")
kill -HUP "$DAEMON_PID"
has_rescan() { grep -q "SIGHUP: rescanning" "$E2E_TMP/xenchanneld.log"; }
wait_for 10 has_rescan || fail "SIGHUP not handled"
[ "$(chstat "$dom" "$dev" state)" = connected ] || fail "rescan disturbed the channel"

# the counters as `xenchannel list --stats` shows them
"$XENCHANNEL" list --stats --json "$dom" >"$E2E_TMP/list.json" 2>>"$E2E_TMP/xenchannel.log" ||
	fail "xenchannel list --stats failed"
python3 - "$E2E_TMP/list.json" "$dev" <<'PY' || fail "list --stats: $(cat "$E2E_TMP/list.json")"
import json, sys
chans = json.load(open(sys.argv[1]))
c = [c for c in chans if c["devid"] == int(sys.argv[2])][0]
s = c["stats"]
assert s["state"] == "connected" and s["drops"] == 0 and s["errors"] == 0, s
assert s["client_connected"] is False and s["bytes_to_guest"] == 0, s
PY

kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" || fail "xenchanneld exited with status $? on SIGTERM"
# sent before the exit, but socat may write it to the file after we look
has_stopping() { grep -q "STOPPING=1" "$E2E_TMP/notify.out"; }
wait_for 10 has_stopping || fail "no STOPPING=1"
[ ! -e "$E2E_TMP/fg.pid" ] || fail "pid file left after a clean exit"
[ ! -e "$XENSIM_RUN_DIR/xenchanneld.lock" ] || fail "lock file left after a clean exit"
[ ! -e "$(control_sock)" ] || fail "control socket left after a clean exit"
[ ! -e "$sd/ops.sock" ] || fail "channel socket left after a clean exit"
[ "$(xenstore-read "$(be_dir "$dom" "$dev")/state")" = 4 ] || fail "SIGTERM closed the channel"

# A second instance refuses to start and names the first (tests/e2e/daemon/single.sh
# checks that it touches nothing).
daemon_start
"$XENCHANNELD" --foreground --stderr 2>"$E2E_TMP/second.err" && fail "second instance started"
grep -q "another xenchanneld (pid $DAEMON_PID, control socket $(control_sock))" "$E2E_TMP/second.err" ||
	fail "no clear error for a second instance: $(cat "$E2E_TMP/second.err")"
[ "$(chstat "$dom" "$dev" state)" = connected ] || fail "restart did not adopt the channel"

# Out of descriptors: accept fails, the client waits in the backlog, the
# daemon backs off (no spinning on a readable listener) and serves the client
# once descriptors are available again.
nfd=0 # the lowest free descriptor number: the next one the kernel would hand out
while [ -e "/proc/$DAEMON_PID/fd/$nfd" ]; do nfd=$((nfd + 1)); done
prlimit --pid "$DAEMON_PID" --nofile="$nfd:" 2>>"$E2E_TMP/prlimit.log" || fail "prlimit: $(cat "$E2E_TMP/prlimit.log")"
bg emfile-client socat -u "UNIX-CONNECT:$sd/ops.sock" -
ec=$LAST_PID
has_emfile() { grep -q "accept: Too many open files; retrying" "$E2E_TMP/xenchanneld.log"; }
wait_for 20 has_emfile || fail "accept failure not reported"
# (the control socket cannot answer either until descriptors come back)
prlimit --pid "$DAEMON_PID" --nofile="$(awk '/Max open files/ {print $5}' /proc/$DAEMON_PID/limits):" 2>>"$E2E_TMP/prlimit.log" || fail "prlimit back: $(cat "$E2E_TMP/prlimit.log")"
client_on() { [ "$(chstat "$dom" "$dev" client_connected)" = true ]; }
wait_for 20 client_on || fail "client not accepted after descriptors came back"
kill "$ec"
daemon_alive || fail "xenchanneld died"
pass "notify, pid file, SIGHUP, SIGTERM, option errors, single instance, accept back-off"
