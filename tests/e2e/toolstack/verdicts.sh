#!/usr/bin/env bash
# attach waits for the backend's verdict (hotplug-status, hotplug-error, as
# libxl's hotplug scripts publish theirs): accepted -> the devid, exit 0;
# refused -> the backend's reason (what and where), exit 1; nobody answers ->
# says whether xenchanneld runs, exit 1. On failure nothing of the channel is
# left in xenstore and its devid is free again. --no-wait skips the wait;
# --json gives the result or the error as one JSON object.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/toolstack/common.sh"
[ -x "$XENSIM" ] || skip "xensim not built"
[ -x "$XENCHANNELD" ] || skip "xenchanneld not built"

sim_start
D=$("$XENSIM" create --name vm) || fail "xensim create"
daemon_start
BE=/local/domain/0/backend/console/$D
FE=/local/domain/$D/device/console
mkdir -m 0755 "$E2E_TMP/ok"

# nothing_left DEVID: no frontend, backend or /libxl directory of the channel
nothing_left() {
	local p
	for p in "$FE/$1" "$BE/$1" "/libxl/$D/device/console/$1"; do
		! xenstore-read "$p" >/dev/null 2>&1 || fail "$p left behind: $(xs_dump "$p")"
		! xenstore-ls "$p" >/dev/null 2>&1 || fail "$p left behind: $(xs_dump "$p")"
	done
}

# refused SPEC MSG: exit 1, MSG (an ERE) in the message, nothing left
refused() {
	expect_fail 1 "^xenchannel: attach: the backend refused channel \`[^']*' \(devid 1\) of domain $D: $2; removed it again$" \
		"$XENCHANNEL" attach vm "$1"
	nothing_left 1
}

# -- the success path: the devid, hotplug-status connected, the endpoint ready
devid=$("$XENCHANNEL" attach vm "name=org.example.ok.0,connection=socket,path=$E2E_TMP/ok/ok.sock") ||
	fail "attach"
[ "$devid" = 1 ] || fail "devid $devid"
[ "$(xenstore-read "$BE/1/hotplug-status")" = connected ] || fail "no hotplug-status connected"
[ -S "$E2E_TMP/ok/ok.sock" ] || fail "attach returned before the socket was listening"
out=$("$XENCHANNEL" attach --json vm "name=org.example.pty.0,connection=pty") || fail "attach --json pty"
python3 - "$out" "$D" <<'PY' || fail "attach --json: $out"
import json, sys
o = json.loads(sys.argv[1])
assert o == {"domain": "vm", "domid": int(sys.argv[2]), "devid": 2, "name": "org.example.pty.0",
             "connection": "pty", "path": None, "hotplug_status": "connected"}, o
PY
tty=$(xenstore-read "$BE/2/tty")
[ -c "$tty" ] || fail "attach returned before the pty existed ('$tty')"
for d in org.example.ok.0 2; do
	"$XENCHANNEL" detach --timeout 20 vm "$d" >/dev/null || fail "detach $d"
done
nothing_left 1
nothing_left 2
echo "ok: accepted (socket, pty)"

# -- each refusal: exit 1, the reason with the path and the rule, nothing left
mkdir -m 0777 "$E2E_TMP/ww" && chmod 0777 "$E2E_TMP/ww"
refused "name=org.example.ww.0,connection=socket,path=$E2E_TMP/ww/x.sock" \
	"socket path '$E2E_TMP/ww/x.sock': parent '$E2E_TMP/ww' is world-writable \(anyone could replace the socket; use a root-owned directory such as /run/xenchannel\)"
[ ! -e "$E2E_TMP/ww/x.sock" ] || fail "socket created in a world-writable directory"

echo keep >"$E2E_TMP/ok/precious"
ln -s "$E2E_TMP/ok/precious" "$E2E_TMP/ok/link.sock"
refused "name=org.example.link.0,connection=socket,path=$E2E_TMP/ok/link.sock" \
	"socket path '$E2E_TMP/ok/link.sock' exists and is a symlink; not replacing it"
[ -L "$E2E_TMP/ok/link.sock" ] && [ "$(cat "$E2E_TMP/ok/precious")" = keep ] || fail "symlink touched"

mkdir -m 0755 "$E2E_TMP/ok/real"
ln -s "$E2E_TMP/ok/real" "$E2E_TMP/ok/linkdir"
refused "name=org.example.ldir.0,connection=socket,path=$E2E_TMP/ok/linkdir/x.sock" \
	"socket path '$E2E_TMP/ok/linkdir/x.sock': parent '$E2E_TMP/ok/linkdir' is a symlink or not a directory"

echo data >"$E2E_TMP/ok/file.sock"
refused "name=org.example.file.0,connection=socket,path=$E2E_TMP/ok/file.sock" \
	"socket path '$E2E_TMP/ok/file.sock' exists and is a regular file; not replacing it"
[ "$(cat "$E2E_TMP/ok/file.sock")" = data ] || fail "regular file clobbered"

refused "name=org.example.missing.0,connection=socket,path=$E2E_TMP/missing/x.sock" \
	"socket path '$E2E_TMP/missing/x.sock': parent '$E2E_TMP/missing': No such file or directory"

refused "name=org.example.dots.0,connection=socket,path=$E2E_TMP/ok/../ok/x.sock" \
	"socket path '$E2E_TMP/ok/\.\./ok/x.sock' has an empty, '\.' or '\.\.' component"

# oversized: fits sockaddr_un (attach accepts it) but not once bound through
# /proc/self/fd/N/ (the daemon refuses it); needs a short directory name
short=$(mktemp -d "${TMPDIR:-/tmp}/xcv.XXXXXX")
trap 'rc=$?; set +e; rm -rf "$short"; (exit $rc); e2e_cleanup' EXIT
chmod 0755 "$short"
long=$(printf 'x%.0s' $(seq 1 $((107 - ${#short} - 1))))
if [ ${#long} -ge 90 ]; then
	refused "name=org.example.long.0,connection=socket,path=$short/$long" \
		"socket path '$short/$long': its file name is too long \(${#long} bytes; at most [0-9]+, as it is bound through /proc/self/fd/[0-9]+/\)"
else
	echo "note: ${TMPDIR:-/tmp} is too long a directory name for the oversized-name case"
fi

# the refused devids were all given back: the next channel gets devid 1
devid=$("$XENCHANNEL" attach vm "name=org.example.after.0,connection=pty") || fail "attach after"
[ "$devid" = 1 ] || fail "refused channels kept their devid: got $devid"
"$XENCHANNEL" detach --timeout 20 vm 1 >/dev/null || fail "detach after"

# --json: the refusal as an error object. (Devid 1 was a pty channel a
# moment ago: the daemon must judge the channel written anew by its own keys.)
out=$("$XENCHANNEL" attach --json vm "name=org.example.ww.1,connection=socket,path=$E2E_TMP/ww/y.sock") &&
	fail "attach --json of a refused channel succeeded: $out"
python3 - "$out" "$D" <<'PY' || fail "attach --json error: $out"
import json, sys
o = json.loads(sys.argv[1])["error"]
assert o["domain"] == "vm" and o["domid"] == int(sys.argv[2]) and o["devid"] == 1, o
assert o["name"] == "org.example.ww.1", o
assert "world-writable" in o["message"] and o["message"].endswith("removed it again"), o
PY
nothing_left 1
echo "ok: refusals"

# -- the daemon running but not answering (stopped)
kill -STOP "$DAEMON_PID"
trap 'rc=$?; set +e; kill -CONT "$DAEMON_PID" 2>/dev/null; rm -rf "$short"; (exit $rc); e2e_cleanup' EXIT
expect_fail 1 "^xenchannel: attach: no backend answered within 0.5 s for channel \`org.example.late.0' \(devid 1\) of domain $D: is xenchanneld running\? It is \(pid $DAEMON_PID, control socket $XENSIM_RUN_DIR/xenchanneld/control.sock\) but did not answer: see its log; removed it again$" \
	"$XENCHANNEL" attach --timeout 0.5 vm "name=org.example.late.0,connection=pty"
kill -CONT "$DAEMON_PID"
nothing_left 1

# -- no daemon at all
daemon_stop
expect_fail 1 "^xenchannel: attach: no backend answered within 1 s for channel \`org.example.none.0' \(devid 1\) of domain $D: is xenchanneld running\? It is not: no process holds $XENSIM_RUN_DIR/xenchanneld.lock; start it \(or attach with --no-wait for a backend started later\); removed it again$" \
	"$XENCHANNEL" attach --timeout 1 vm "name=org.example.none.0,connection=pty"
nothing_left 1
out=$("$XENCHANNEL" attach --json --timeout 0 vm "name=org.example.none.1,connection=pty") && fail "--json no daemon: $out"
python3 -c 'import json, sys; o = json.loads(sys.argv[1])["error"]; assert "It is not" in o["message"] and o["devid"] == 1, o' "$out" ||
	fail "attach --json, no daemon: $out"
nothing_left 1
echo "ok: no answer (daemon stopped, daemon gone)"

# -- --no-wait: the devid at once, the channel stays for a backend started later
devid=$("$XENCHANNEL" attach --no-wait vm "name=org.example.nowait.0,connection=socket,path=$E2E_TMP/ok/nw.sock") ||
	fail "attach --no-wait"
[ "$devid" = 1 ] || fail "--no-wait devid $devid"
[ "$(xenstore-read "$BE/1/state")" = 1 ] || fail "--no-wait: backend state not Initialising"
! xenstore-read "$BE/1/hotplug-status" >/dev/null 2>&1 || fail "--no-wait: a verdict without a daemon"
expect_fail 2 "--no-wait and --timeout exclude each other" \
	"$XENCHANNEL" attach --no-wait --timeout 3 vm "name=org.example.x.0,connection=pty"
daemon_start
xs_wait "$BE/1/hotplug-status" connected || fail "the late daemon gave no verdict"
[ -S "$E2E_TMP/ok/nw.sock" ] || fail "the late daemon did not listen"
# and a refused --no-wait channel stays until detached, which works
devid=$("$XENCHANNEL" attach --no-wait vm "name=org.example.nowait.1,connection=socket,path=$E2E_TMP/ww/z.sock") ||
	fail "attach --no-wait refused"
xs_wait "$BE/$devid/hotplug-status" error || fail "no error verdict for --no-wait"
xenstore-read "$BE/$devid/hotplug-error" | grep -q "parent '$E2E_TMP/ww' is world-writable" || fail "hotplug-error"
out=$("$XENCHANNEL" detach --json --timeout 20 vm org.example.nowait.1) || fail "detach --json of a refused channel: $out"
python3 - "$out" "$D" "$devid" <<'PY' || fail "detach --json: $out"
import json, sys
o = json.loads(sys.argv[1])
assert o == {"domain": "vm", "domid": int(sys.argv[2]), "devid": int(sys.argv[3]),
             "channel": "org.example.nowait.1", "forced": False, "note": None}, o
PY
nothing_left "$devid"
out=$("$XENCHANNEL" detach --json vm org.example.nope.0) && fail "detach --json of nothing: $out"
python3 -c 'import json, sys; o = json.loads(sys.argv[1])["error"]; assert o["domain"] == "vm" and o["channel"] == "org.example.nope.0" and "no channel named" in o["message"], o' "$out" ||
	fail "detach --json error: $out"
out=$("$XENCHANNEL" list --json nosuchvm) && fail "list --json of nothing: $out"
python3 -c 'import json, sys; o = json.loads(sys.argv[1])["error"]; assert o["domain"] == "nosuchvm" and "unknown domain" in o["message"], o' "$out" ||
	fail "list --json error: $out"
echo "ok: --no-wait, detach of a refused channel, --json errors"
pass "attach verdicts: accepted, 7 refusals, no answer (2 ways), --no-wait, --json"
