#!/usr/bin/env bash
# list shows both ends Connected once xenchanneld serves a channel, and
# --stats adds the daemon's counters for it (and nothing for others).
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/toolstack/common.sh"
[ -x "$XENSIM" ] || skip "xensim not built"
[ -x "$XENCHANNELD" ] || skip "xenchanneld not built"
command -v socat >/dev/null || skip "socat not installed"

sim_start
D=$("$XENSIM" create --name served) || fail "xensim create"
"$XENCHANNELD" --pidfile "$E2E_TMP/xenchanneld.pid" 2>>"$E2E_TMP/xenchanneld.log" ||
	fail "xenchanneld did not start"
E2E_PIDS+=("$(cat "$E2E_TMP/xenchanneld.pid")")

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
head -n 1 "$E2E_TMP/stats.txt" | grep -q "TO-GUEST *FROM-GUEST CLIENT" || fail "$(cat "$E2E_TMP/stats.txt")"
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

# Without the daemon --stats fails and says which socket it tried.
kill -TERM "$(cat "$E2E_TMP/xenchanneld.pid")"
wait_for 10 bash -c "! [ -S '$XENSIM_RUN_DIR/xenchanneld/control.sock' ]" || true
expect_fail 1 "tried $XENSIM_RUN_DIR/xenchanneld/control.sock" "$XENCHANNEL" list --stats served
pass "list with xenchanneld: Connected both ends, --stats"
