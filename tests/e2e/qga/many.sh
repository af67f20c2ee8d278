#!/usr/bin/env bash
# Many guests at once: QGA_GUESTS simulated guests (default 20, to keep the
# suite short; bench-qga runs 200), each with the channel and its own
# qemu-ga, host name and address; one `xenchannel qga --all` reaches every
# one from one event loop, and each answer is that guest's own.
source "$SRC_DIR/tests/e2e/qga/common.sh"
N=${QGA_GUESTS:-20}
qga_setup
qga_guests "$N"

O=$E2E_TMP/out
# The first command also waits for every agent to have opened its channel.
qga "$O" --all --json --timeout 60 guest-get-host-name || fail "--all guest-get-host-name: $(cat "$O.err")"
python3 - "$O" "$N" "$E2E_TMP/doms" <<'PY' || fail "--all answers: $(head -c 2000 "$O")"
import json, os, sys
rows, n, doms = json.load(open(sys.argv[1])), int(sys.argv[2]), sys.argv[3]
want = {int(open(os.path.join(doms, f)).read()): "m%s-host" % f for f in os.listdir(doms)}
assert len(rows) == n, len(rows)
for r in rows:
    assert r["status"] == "ok", r
    assert r["return"]["host-name"] == want[r["domid"]], (r, want[r["domid"]])
    assert r["name"] + "-host" == r["return"]["host-name"], r
PY

# Interfaces: each guest reports its own namespace's address.
qga "$O" --all --json --timeout 60 guest-network-get-interfaces || fail "--all interfaces: $(cat "$O.err")"
python3 - "$O" "$N" <<'PY' || fail "--all interfaces: $(head -c 2000 "$O")"
import json, sys
rows, n = json.load(open(sys.argv[1])), int(sys.argv[2])
assert len(rows) == n
for r in rows:
    i = int(r["name"][1:])
    want = "10.77.%d.%d" % (i // 250, i % 250 + 1)
    got = [a["ip-address"] for x in r["return"] if x["name"] == "eth0" for a in x.get("ip-addresses", [])]
    assert want in got, (r["name"], want, got)
PY

# A list of domains (names and ids), the table form; blocked freeze on all:
# every guest refuses, exit 1.
d1=$(cat "$E2E_TMP/doms/1")
qga "$O" m1 "$d1" "m$N" guest-ping || fail "three targets: $(cat "$O" "$O.err")"
[ "$(grep -c ' ok ' "$O")" = 3 ] || fail "table: $(cat "$O")"
rc=0; qga "$O" --all --timeout 60 guest-fsfreeze-freeze || rc=$?
[ $rc = 1 ] || fail "--all freeze (blocked): exit $rc, want 1: $(cat "$O.err")"
[ "$(grep -c ' error .*CommandNotFound' "$O")" = "$N" ] || fail "freeze table: $(cat "$O")"
pass "qga: $N guests at once, each with its own answer"
