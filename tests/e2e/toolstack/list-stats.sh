#!/usr/bin/env bash
# list shows both ends Connected once xenchanneld serves a channel, and
# --stats adds the daemon's counters for it; detach of a served channel
# waits for the daemon's Closed and names it when it does not come.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/toolstack/common.sh"
[ -x "$XENSIM" ] || skip "xensim not built"
[ -x "$XENCHANNELD" ] || skip "xenchanneld not built"
command -v socat >/dev/null || skip "socat not installed"

sim_start
D=$("$XENSIM" create --name served) || fail "xensim create"
daemon_start

mkdir -m 0755 "$E2E_TMP/s"
SOCK="$E2E_TMP/s/served.sock"
devid=$("$XENCHANNEL" attach served "name=org.example.served.0,connection=socket,path=$SOCK") ||
	fail "attach"
xs_wait "/local/domain/0/backend/console/$D/$devid/state" 4 30 || fail "backend not Connected"
xs_wait "/local/domain/$D/device/console/$devid/state" 4 30 || fail "frontend not Connected"

# 5 bytes from dom0 to the guest through the daemon
printf 'hello' | socat -t2 - "UNIX-CONNECT:$SOCK" || fail "socat to $SOCK"
"$XENCHANNEL" list served | grep -Eq " $devid org\.example\.served\.0 +socket +$SOCK +Connected +Connected$" ||
	fail "list: $("$XENCHANNEL" list served)"
"$XENCHANNEL" list --stats served >"$E2E_TMP/stats.txt" || fail "list --stats: $(cat "$E2E_TMP/stats.txt")"
head -n 1 "$E2E_TMP/stats.txt" | grep -Eq "TO-GUEST +FROM-GUEST +EVT-IN +EVT-OUT +ERRORS +CLIENT$" ||
	fail "$(cat "$E2E_TMP/stats.txt")"
"$XENCHANNEL" list --json --stats served >"$E2E_TMP/stats.json" || fail "list --json --stats"
python3 - "$E2E_TMP/stats.json" "$devid" <<'PY' || fail "stats json: $(cat "$E2E_TMP/stats.json")"
import json, sys
c = json.load(open(sys.argv[1]))
assert len(c) == 1 and c[0]["devid"] == int(sys.argv[2]), c
assert c[0]["frontend_state"] == "Connected" and c[0]["backend_state"] == "Connected", c
s = c[0]["stats"]
assert s["domid"] == c[0]["domid"] and s["devid"] == c[0]["devid"], s
assert s["bytes_to_guest"] == 5, s
PY

# detach of a served channel waits for the daemon's Closed too
out=$("$XENCHANNEL" detach --timeout 20 served "$devid") || fail "detach served: $out"
! xenstore-read "/local/domain/0/backend/console/$D/$devid" >/dev/null 2>&1 || fail "backend left"

# a backend that does not answer is named: freeze the daemon mid-detach
devid=$("$XENCHANNEL" attach served "name=org.example.served.1,connection=pty") || fail "attach 2"
xs_wait "/local/domain/0/backend/console/$D/$devid/state" 4 30 || fail "2: backend not Connected"
xs_wait "/local/domain/$D/device/console/$devid/state" 4 30 || fail "2: frontend not Connected"
kill -STOP "$DAEMON_PID"
trap 'rc=$?; set +e; kill -CONT "$DAEMON_PID" 2>/dev/null; (exit $rc); e2e_cleanup' EXIT
expect_fail 1 "the backend of channel $devid of domain $D \(/local/domain/0/backend/console/$D/$devid\) did not answer: its state is Closing, not Closed, after 800 ms" \
	"$XENCHANNEL" detach --timeout 0.8 served org.example.served.1
kill -CONT "$DAEMON_PID"
xs_wait "/local/domain/0/backend/console/$D/$devid/state" 6 30 || fail "the daemon never closed"
"$XENCHANNEL" detach --timeout 5 served org.example.served.1 >/dev/null || fail "second detach"

# Without the daemon --stats fails and says which socket it tried.
kill -TERM "$DAEMON_PID"
wait_for 10 bash -c "! [ -S '$XENSIM_RUN_DIR/xenchanneld/control.sock' ]" || true
expect_fail 1 "tried $XENSIM_RUN_DIR/xenchanneld/control.sock" "$XENCHANNEL" list --stats served
pass "list with xenchanneld: Connected both ends, --stats"
