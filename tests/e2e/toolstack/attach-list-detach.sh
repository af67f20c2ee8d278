#!/usr/bin/env bash
# attach writes exactly libxl's keys and permissions (checked with Debian's
# xenstore-ls), list reports both ends, the simulated guest connects, and
# detach runs the close handshake and removes all three directories.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/toolstack/common.sh"
command -v xenstore-ls >/dev/null || skip "xenstore-utils not installed"
[ -x "$XENSIM" ] || skip "xensim not built"

sim_start
D=$("$XENSIM" create --name web01) || fail "xensim create"
G=$(sim_guest_pid "$D")
[ -n "$G" ] || fail "no guest process for domain $D"
# Freeze the guest so the layout is seen exactly as attach wrote it.
kill -STOP "$G"

SOCK="$E2E_TMP/web01.sock"
devid=$("$XENCHANNEL" attach --no-wait web01 "name=org.xenchannel.agent.0, connection=socket, path=$SOCK")
[ "$devid" = 1 ] || fail "first channel got devid '$devid'"
devid=$("$XENCHANNEL" attach --no-wait "$D" "name=org.example.debug.0,connection=pty")
[ "$devid" = 2 ] || fail "second channel got devid '$devid'"

F=/local/domain/$D/device/console
diff -u - <(xs_dump "$F/1") <<EOT || fail "frontend 1 layout"
$F/1/backend = "/local/domain/0/backend/console/$D/1" (n$D,r0)
$F/1/backend-id = "0" (n$D,r0)
$F/1/state = "1" (n$D,r0)
$F/1/protocol = "vt100" (n$D,r0)
$F/1/name = "org.xenchannel.agent.0" (n0,r$D)
$F/1/limit = "1048576" (n0,r$D)
$F/1/type = "xenchanneld" (n0,r$D)
$F/1/output = "chardev:libxl-channel1" (n0,r$D)
$F/1/tty = "" (n0,r$D)
EOT
[ "$(xenstore-ls -p "$F" | head -n 1 | sed -E 's/.*\((.*)\)$/\1/')" = "n$D,r0" ] ||
	fail "frontend dir perms: $(xenstore-ls -p "$F" | head -n 1)"
diff -u - <(xs_dump "$F/2" | grep -E '/(output|type|name) ') <<EOT || fail "frontend 2 layout"
$F/2/name = "org.example.debug.0" (n0,r$D)
$F/2/type = "xenchanneld" (n0,r$D)
$F/2/output = "pty" (n0,r$D)
EOT

B=/local/domain/0/backend/console/$D
diff -u - <(xs_dump "$B/1") <<EOT || fail "backend 1 layout"
$B/1/frontend = "/local/domain/$D/device/console/1" (n0,r$D)
$B/1/frontend-id = "$D" (n0,r$D)
$B/1/online = "1" (n0,r$D)
$B/1/state = "1" (n0,r$D)
$B/1/protocol = "vt100" (n0,r$D)
$B/1/name = "org.xenchannel.agent.0" (n0,r$D)
$B/1/connection = "socket" (n0,r$D)
$B/1/path = "$SOCK" (n0,r$D)
EOT
diff -u - <(xs_dump "$B/2" | grep -E '/(connection|path) ') <<EOT || fail "backend 2 layout"
$B/2/connection = "pty" (n0,r$D)
EOT

L=/libxl/$D/device/console
diff -u - <(xs_dump "$L/1") <<EOT || fail "libxl copy layout"
$L/1/frontend = "/local/domain/$D/device/console/1" (n0)
$L/1/backend = "/local/domain/0/backend/console/$D/1" (n0)
$L/1/frontend-id = "$D" (n0)
$L/1/online = "1" (n0)
$L/1/state = "1" (n0)
$L/1/protocol = "vt100" (n0)
$L/1/name = "org.xenchannel.agent.0" (n0)
$L/1/connection = "socket" (n0)
$L/1/path = "$SOCK" (n0)
EOT

# list, both forms
"$XENCHANNEL" list web01 >"$E2E_TMP/list.txt"
grep -Eq "^web01 +$D +1 org\.xenchannel\.agent\.0 +socket +$SOCK +Initialising +Initialising" "$E2E_TMP/list.txt" ||
	fail "list: $(cat "$E2E_TMP/list.txt")"
grep -Eq "^web01 +$D +2 org\.example\.debug\.0 +pty +- +Initialising +Initialising" "$E2E_TMP/list.txt" ||
	fail "list: $(cat "$E2E_TMP/list.txt")"
"$XENCHANNEL" list --json >"$E2E_TMP/list.json"
python3 - "$E2E_TMP/list.json" "$D" "$SOCK" <<'PY' || fail "list --json: $(cat "$E2E_TMP/list.json")"
import json, sys
chans = json.load(open(sys.argv[1]))
d = int(sys.argv[2])
mine = [c for c in chans if c["domid"] == d]
assert [c["devid"] for c in mine] == [1, 2], mine
a, b = mine
assert a == {"domain": "web01", "domid": d, "devid": 1, "name": "org.xenchannel.agent.0",
             "connection": "socket", "path": sys.argv[3], "tty": None, "type": "xenchanneld",
             "frontend_state": "Initialising", "backend_state": "Initialising"}, a
assert b["connection"] == "pty" and b["path"] is None, b
PY

# Let the guest run: its frontend probes (Initialised) and publishes the ring.
kill -CONT "$G"
xs_wait "$F/1/state" 3 20 || fail "frontend 1 never reached Initialised"
xenstore-read "$F/1/ring-ref" >/dev/null || fail "no ring-ref after probe"
"$XENCHANNEL" list web01 | grep -Eq " 1 org\.xenchannel\.agent\.0 .*Initialised +Initialising" ||
	fail "list after probe: $("$XENCHANNEL" list web01)"

# detach by name: Closing -> guest Closed -> Closed -> removed
out=$("$XENCHANNEL" detach --timeout 20 web01 org.xenchannel.agent.0) || fail "detach: $out"
[ "$out" = "detached devid 1 from domain $D" ] || fail "detach said: $out"
for p in "$F/1" "$B/1" "$L/1"; do
	! xenstore-read "$p" >/dev/null 2>&1 || fail "$p still exists after detach"
done
# detach by devid
"$XENCHANNEL" detach --timeout 20 "$D" 2 >/dev/null || fail "detach devid 2"
[ -z "$("$XENCHANNEL" list web01 | tail -n +2)" ] || fail "channels left: $("$XENCHANNEL" list web01)"
# the freed devid is reused
devid=$("$XENCHANNEL" attach --no-wait web01 "name=org.example.again.0,connection=pty")
[ "$devid" = 1 ] || fail "re-attach got devid $devid"
pass "attach/list/detach"
