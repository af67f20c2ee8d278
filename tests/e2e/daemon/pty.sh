#!/usr/bin/env bash
# connection=pty: the pty's path is published in the backend and frontend
# `tty` keys, and bytes flow both ways between it and the guest tty.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/daemon/daemon-lib.sh"
N=$((1024 * 1024))

sim_start
daemon_start
dom=$(new_domain pt)
dev=$(attach "$dom" "name=org.test.pty,connection=pty")
pty=$(xenstore-read "$(be_dir "$dom" "$dev")/tty")
[ -n "$pty" ] && [ -c "$pty" ] || fail "backend tty key '$pty' is not a tty"
[ "$(xenstore-read "$(fe_dir "$dom" "$dev")/tty")" = "$pty" ] || fail "frontend tty key differs"
tty=$(guest_tty "$dom" "$dev")
guest_peer guest xfer "$tty" --send $N --seed-send 8 --recv $N --seed-recv 9 --timeout 120
gpid=$LAST_PID
"$PEER" xfer "$pty" --send $N --seed-send 9 --recv $N --seed-recv 8 --timeout 120 \
	>"$E2E_TMP/client.log" 2>&1 || fail "dom0 pty side: $(cat "$E2E_TMP/client.log")"
wait "$gpid" || fail "guest: $(cat "$E2E_TMP/guest.log")"
pass "1 MiB each way over $pty"
