#!/usr/bin/env bash
# Concurrent attaches to one domain get distinct devids: every attach reads
# the free devids inside its transaction, so a conflicting commit is redone.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/toolstack/common.sh"
command -v flock >/dev/null || skip "flock (util-linux) not installed"
[ -x "$XENSIM" ] || skip "xensim not built"

sim_start
D=$("$XENSIM" create --name busy) || fail "xensim create"
N=6
LOCK="$E2E_TMP/start.lock"
exec 9>"$LOCK"
flock -x 9 # hold the start line until every attach is waiting on it
pids=()
for i in $(seq 1 $N); do
	( flock -s "$LOCK" true
	  exec "$XENCHANNEL" attach --no-wait busy "name=org.example.busy.$i,connection=socket,path=$E2E_TMP/b$i.sock"
	) >"$E2E_TMP/att$i.out" 2>"$E2E_TMP/att$i.log" &
	pids+=($!)
done
flock -u 9
for p in "${pids[@]}"; do wait "$p" || fail "an attach failed: $(cat "$E2E_TMP"/att*.log)"; done
got=$(cat "$E2E_TMP"/att*.out | sort -n | tr '\n' ' ')
[ "$got" = "$(seq 1 $N | tr '\n' ' ')" ] || fail "devids: $got"
# each name appears exactly once, each devid's copy names the right socket
for i in $(seq 1 $N); do
	d=$(cat "$E2E_TMP/att$i.out")
	[ "$(xenstore-read /libxl/$D/device/console/$d/name)" = "org.example.busy.$i" ] || fail "devid $d"
	[ "$(xenstore-read /local/domain/$D/device/console/$d/name)" = "org.example.busy.$i" ] || fail "fe $d"
	[ "$(xenstore-read /local/domain/0/backend/console/$D/$d/path)" = "$E2E_TMP/b$i.sock" ] || fail "be $d"
done
pass "$N concurrent attaches got devids $got"
