#!/usr/bin/env bash
# `xenchannel list --stats`: CLIENT says whether a dom0 program really has a
# pty channel's tty open (the daemon holds the pty itself); the event and
# error counters are columns and match --json; long names and paths widen
# their columns instead of breaking them, and are never cut.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/daemon/daemon-lib.sh"

sim_start
daemon_start
dom=$(new_domain stats)
sd=$(sockdir)
export XENCHANNEL_REGISTRY="$SRC_DIR/data/channel-registry"

# row DEVID: that channel's line of the table
row() { "$XENCHANNEL" list --stats "$dom" | awk -v d="$1" '$3 == d'; }
client_is() { [ "$(row "$1" | awk '{ print $NF }')" = "$2" ]; }

# -- CLIENT of a pty channel follows the opens and closes of its tty
p=$(attach "$dom" "name=org.test.stats.pty,connection=pty")
tty=$(xenstore-read "$(be_dir "$dom" "$p")/tty")
client_is "$p" no || fail "pty CLIENT before any open: $(row "$p")"
[ "$(chstat "$dom" "$p" client_connected)" = false ] || fail "client_connected before any open"
# holder TAG: a dom0 program holding the tty open (no controlling tty taken)
holder() {
	bg "$1" python3 -c 'import os, signal, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
print("open", flush=True)
signal.pause()' "$tty"
	is_open() { grep -q open "$E2E_TMP/$1.log"; }
	wait_for 10 is_open "$1" || fail "could not open $tty: $(cat "$E2E_TMP/$1.log")"
}
clients_are() { [ "$(chstat "$dom" "$p" pty_clients)" = "$1" ]; }
holder h1
h1=$LAST_PID
wait_for 10 client_is "$p" yes || fail "pty CLIENT with the tty open: $(row "$p")"
holder h2
h2=$LAST_PID
wait_for 10 clients_are 2 || fail "two opens: pty_clients $(chstat "$dom" "$p" pty_clients)"
kill "$h1"
wait_for 10 clients_are 1 || fail "one close: pty_clients $(chstat "$dom" "$p" pty_clients)"
client_is "$p" yes || fail "pty CLIENT with one holder left: $(row "$p")"
kill "$h2"
wait_for 10 client_is "$p" no || fail "pty CLIENT after the last close: $(row "$p")"
[ "$(chstat "$dom" "$p" client_connected)" = false ] || fail "client_connected after the last close"
echo "ok: pty CLIENT no -> yes (1, 2 holders) -> no"

# -- bytes, events and errors each way, in the table as in --json
s=$(attach "$dom" "name=org.test.stats.sock,connection=socket,path=$sd/s.sock")
guest_peer g xfer "$(guest_tty "$dom" "$s")" --send 3000 --seed-send 5 --recv 700 --seed-recv 6 --timeout 60
gpid=$LAST_PID
"$PEER" xfer "$sd/s.sock" --send 700 --seed-send 6 --recv 3000 --seed-recv 5 --timeout 60 >/dev/null 2>&1 ||
	fail "transfer"
wait "$gpid" || fail "guest side: $(cat "$E2E_TMP/g.log")"
r=$("$XENCHANNEL" attach --no-wait "$dom" "name=org.test.stats.bad,connection=socket,path=/nonexistent/x.sock") ||
	fail "attach --no-wait"
xs_wait "$(be_dir "$dom" "$r")/hotplug-status" error || fail "no verdict for the refused channel"
"$XENCHANNEL" list --stats --json "$dom" >"$E2E_TMP/list.json" || fail "list --stats --json"
"$XENCHANNEL" list --stats "$dom" >"$E2E_TMP/list.txt" || fail "list --stats"
python3 - "$E2E_TMP/list.json" "$E2E_TMP/list.txt" "$s" "$r" <<'PY' || fail "counters: $(cat "$E2E_TMP/list.txt")"
import json, sys
chans = {c["devid"]: c for c in json.load(open(sys.argv[1]))}
lines = open(sys.argv[2]).read().splitlines()
head = lines[0].split()
assert head[8:] == ["TO-GUEST", "FROM-GUEST", "EVT-IN", "EVT-OUT", "ERRORS", "CLIENT"], head
rows = {int(l.split()[2]): dict(zip(head, l.split())) for l in lines[1:]}
for devid, c in chans.items():
    st, t = c["stats"], rows[devid]
    assert t["TO-GUEST"] == str(st["bytes_to_guest"]) and t["FROM-GUEST"] == str(st["bytes_from_guest"]), (t, st)
    assert t["EVT-IN"] == str(st["events_from_guest"]) and t["EVT-OUT"] == str(st["events_to_guest"]), (t, st)
    assert t["ERRORS"] == str(st["errors"]), (t, st)
s, r = chans[int(sys.argv[3])]["stats"], chans[int(sys.argv[4])]["stats"]
assert s["bytes_to_guest"] == 700 and s["bytes_from_guest"] == 3000, s
assert s["events_from_guest"] >= 1 and s["events_to_guest"] >= 1 and s["errors"] == 0, s
assert r["errors"] >= 1 and r["state"] in ("error", "closed"), r
assert rows[int(sys.argv[4])]["ERRORS"] != "0", rows
PY
"$XENCHANNEL" detach --timeout 20 "$dom" "$r" >/dev/null || fail "detach the refused channel"
echo "ok: bytes, events and errors each way"

# -- long names and paths: columns widen, nothing is cut, nothing shifts
long=org.$(printf 'n%.0s' $(seq 1 60)).$(printf 'm%.0s' $(seq 1 50)).0
lp=$sd/$(printf 'p%.0s' $(seq 1 $((100 - ${#sd} - 6)))).sock
l=$(attach "$dom" "name=$long,connection=socket,path=$lp")
"$XENCHANNEL" list --stats "$dom" >"$E2E_TMP/long.txt" || fail "list --stats (long)"
"$XENCHANNEL" list "$dom" >"$E2E_TMP/long-plain.txt" || fail "list (long)"
"$XENCHANNEL" list --json "$dom" >"$E2E_TMP/long.json" || fail "list --json (long)"
python3 - "$long" "$lp" "$E2E_TMP/long.txt" "$E2E_TMP/long-plain.txt" "$E2E_TMP/long.json" <<'PY' ||
import json, sys
name, path = sys.argv[1], sys.argv[2]
right = {"DOMID", "DEVID", "TO-GUEST", "FROM-GUEST", "EVT-IN", "EVT-OUT", "ERRORS"}
for f in sys.argv[3:5]:
    lines = open(f).read().splitlines()
    head = lines[0]
    cols = head.split()
    starts, pos = [], 0
    for c in cols:
        pos = head.index(c, pos)
        starts.append(pos)
        pos += len(c)
    for l in lines[1:]:
        cells = l.split()
        assert len(cells) == len(cols), (f, l)
        assert l == l.rstrip(), ("trailing blanks", l)
        for c, st, cell in zip(cols, starts, cells):
            if c in right:  # right-aligned: ends where the header ends
                end = st + len(c)
                assert l[end - len(cell):end] == cell, (f, c, l)
            else:           # left-aligned: starts where the header starts
                assert l[st:st + len(cell)] == cell, (f, c, l)
    assert any(l.split()[3] == name and l.split()[5] == path for l in lines[1:]), (f, "name or path cut")
assert any(c["name"] == name and c["path"] == path for c in json.load(open(sys.argv[5]))), "json"
PY
	fail "long names: $(cat "$E2E_TMP/long.txt")"
echo "ok: a ${#long}-character name and a ${#lp}-character path"
daemon_alive || fail "xenchanneld died"
pass "list --stats: pty CLIENT, events and errors, long names"
