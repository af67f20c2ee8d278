#!/usr/bin/env bash
# A guest restarts qemu-ga while a command runs: the agent that took the
# command dies without answering (fake-dying-agent.py plays it, so that the
# moment is exact), and Debian's qemu-ga starts on the same tty. The client
# notices the loss (a probe answered before the command) and sends a
# read-only command again; any other command is reported as lost, exit 2.
source "$SRC_DIR/tests/e2e/qga/common.sh"
qga_setup
DOM=$(qga_guest q1)
TTY=$XENSIM_RUN_DIR/domains/$DOM/root/dev/xen-channel/$QGA_NAME
FAKE="python3 $SRC_DIR/tests/e2e/qga/fake-dying-agent.py $TTY $E2E_TMP/swallowed"
O=$E2E_TMP/out

# 1. Read-only: sent again to the new agent, answered.
qga_start "$DOM" q1host 198.51.100.17/24 "$FAKE"
qga "$O" --timeout 30 q1 guest-get-host-name || fail "retried command: $(cat "$O" "$O.err")"
jcheck "$O" 'j == {"host-name": "q1host"}'
[ "$(cat "$E2E_TMP/swallowed")" = guest-get-host-name ] ||
	fail "the dying agent did not take the command: $(cat "$E2E_TMP/swallowed" 2>&1)"
qga_stop "$QGA_PID"

# 2. Not read-only (freeze: refused by the block list anyway, so nothing
# runs whatever the client does): not sent again, reported clearly.
qga_start "$DOM" q1host 198.51.100.17/24 "$FAKE"
rc=0; qga "$O" --timeout 30 q1 guest-fsfreeze-freeze || rc=$?
[ $rc = 2 ] || fail "lost freeze: exit $rc: $(cat "$O" "$O.err")"
grep -q "the agent lost guest-fsfreeze-freeze (restarted while it ran?); not sent again" "$O.err" ||
	fail "lost freeze: message $(cat "$O.err")"
[ "$(tail -n 1 "$E2E_TMP/swallowed")" = guest-fsfreeze-freeze ] || fail "the dying agent did not take the freeze"
# The new agent serves the next command.
qga "$O" --timeout 10 q1 guest-ping || fail "ping after the restart: $(cat "$O.err")"

# 3. A plain restart between two commands: killed, started again.
kill -KILL "$QGA_PID"; wait "$QGA_PID" 2>/dev/null || true
qga_start "$DOM" q1host2 198.51.100.18/24
qga "$O" --timeout 30 q1 guest-get-host-name || fail "after kill -9 and a new agent: $(cat "$O.err")"
jcheck "$O" 'j == {"host-name": "q1host2"}'
pass "qga: a command lost by a restarting agent is retried (read-only) or reported (others)"
