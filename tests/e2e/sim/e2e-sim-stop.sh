#!/usr/bin/env bash
# `xensim stop` ends every process the simulator started: the daemon, each
# domain's xensim-guest, and what `xensim exec` started (with its children),
# even one that ignores SIGTERM; the shell that runs `xensim stop` from
# inside `xensim exec` survives it.
source "$SRC_DIR/tests/e2e/lib.sh"
sim_start
RUN=$XENSIM_RUN_DIR
DOM=$("$XENSIM" create --name stopme) || fail "create"
daemon=$(cat "$RUN/xensim.pid")
guest=$(sim_guest_pid "$DOM")
[ -n "$guest" ] || fail "no xensim-guest running"

# A long-running exec'd process with a child of its own, and one deaf to SIGTERM.
"$XENSIM" exec "$DOM" -- sh -c 'sleep 1000 & echo $! >"$1/child.pid"; echo $$ >"$1/parent.pid"; wait' \
	sh "$E2E_TMP" >/dev/null 2>&1 &
E2E_PIDS+=($!)
"$XENSIM" exec 0 -- sh -c 'trap "" TERM; echo $$ >"$1/deaf.pid"; exec sleep 1000' sh "$E2E_TMP" >/dev/null 2>&1 &
E2E_PIDS+=($!)
wait_for 10 test -s "$E2E_TMP/child.pid" -a -s "$E2E_TMP/parent.pid" -a -s "$E2E_TMP/deaf.pid" ||
	fail "exec'd processes did not start"
pids="$(cat "$E2E_TMP/parent.pid") $(cat "$E2E_TMP/child.pid") $(cat "$E2E_TMP/deaf.pid")"
for p in $pids; do kill -0 "$p" || fail "exec'd pid $p not running"; done

# `xensim stop` typed in a shell that `xensim exec` started: that shell lives on.
"$XENSIM" exec 0 -- sh -c '"$1" stop && echo alive >"$2/after-stop"' sh "$XENSIM" "$E2E_TMP" \
	2>"$E2E_TMP/stop.err" || fail "stop: $(cat "$E2E_TMP/stop.err")"
[ "$(cat "$E2E_TMP/after-stop")" = alive ] || fail "stop killed the shell it runs in"
grep -q "ignored SIGTERM" "$E2E_TMP/stop.err" || fail "stop did not say it had to kill: $(cat "$E2E_TMP/stop.err")"

# Nothing is left: the daemon, the guest, every exec'd process and child.
for p in $daemon $guest $pids; do
	kill -0 "$p" 2>/dev/null && fail "pid $p ($(tr '\0' ' ' <"/proc/$p/cmdline")) survived xensim stop"
done
left=""
for d in /proc/[0-9]*; do
	[ "${d#/proc/}" = $$ ] && continue
	if tr '\0' '\n' <"$d/environ" 2>/dev/null | grep -qx "XENSIM_RUN_DIR=$RUN" &&
		tr '\0' '\n' <"$d/environ" 2>/dev/null | grep -q "^XENSIM_DOMID="; then
		left="$left ${d#/proc/}:$(tr '\0' ' ' <"$d/cmdline")"
	fi
done
[ -z "$left" ] || fail "left running after stop:$left"
pgrep -f -- "$RUN" >/dev/null && fail "a process naming the run directory survived: $(pgrep -af -- "$RUN")"
pass "xensim stop ends the daemon, its guests and everything xensim exec started"
