#!/usr/bin/env bash
# The daemon dies mid-transfer (kill -9, later SIGTERM) and starts again: it
# adopts the Connected channel without the guest noticing, and the transfer
# from the guest completes with every byte exactly once (the client
# reconnects; the pattern is checked at every offset, so a lost or repeated
# byte fails).
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/daemon/daemon-lib.sh"
N=$((32 * 1024 * 1024))

sim_start
daemon_start
dom=$(new_domain rs)
sd=$(sockdir)
dev=$(attach "$dom" "name=org.test.restart,connection=socket,path=$sd/rs.sock")
tty=$(guest_tty "$dom" "$dev")
be=$(be_dir "$dom" "$dev")
fe=$(fe_dir "$dom" "$dev")

guest_peer guest xfer "$tty" --send $N --seed-send 77 --timeout 300
gpid=$LAST_PID
# The client stops itself after 4 MiB, so the transfer is surely unfinished
# when the daemon dies, however fast or slow the machine is.
bg client "$PEER" xfer "$sd/rs.sock" --recv $N --seed-recv 77 --reconnect --stop-at $((4 * 1024 * 1024)) --timeout 300
cpid=$LAST_PID

moved_more_than() { [ "$(chstat "$dom" "$dev" bytes_from_guest)" -gt "$1" ]; }
stopped() { [ "$(awk '{ print $3 }' "/proc/$1/stat")" = T ]; }
wait_for 60 stopped "$cpid" || fail "no progress before the kill"
# Kill only once the daemon is blocked on the full socket and the guest on the
# full ring (2048 bytes unread): a daemon killed inside a write would send
# those bytes again after the restart (xenchanneld(8), DESCRIPTION).
ring_full() { [ "$(chstat "$dom" "$dev" ring_out_pending)" = 2048 ]; }
wait_for 60 ring_full || fail "the guest did not fill the ring while the client was stopped"
kill -KILL "$DAEMON_PID"
wait_for 10 bash -c "! kill -0 $DAEMON_PID" || fail "kill -9 did not kill"
[ "$(xenstore-read "$be/state")" = 4 ] || fail "backend state changed by the crash"
[ -S "$sd/rs.sock" ] || fail "stale socket should be left by a crash"
kill -0 "$gpid" || fail "guest writer finished while the daemon was dead"

daemon_start
kill -CONT "$cpid"
grep -q "adopted" "$E2E_TMP/xenchanneld.log" || fail "no adoption logged"
[ "$(chstat "$dom" "$dev" state)" = connected ] || fail "not connected after adoption"
# counters restart with the process: wait for fresh progress, then SIGTERM
wait_for 60 moved_more_than $((4 * 1024 * 1024)) || fail "no progress after adoption"
daemon_stop
[ "$(xenstore-read "$be/state")" = 4 ] || fail "SIGTERM closed the channel in xenstore"
[ "$(xenstore-read "$fe/state")" = 4 ] || fail "the guest noticed the shutdown"
daemon_start

wait "$cpid" || fail "client: $(cat "$E2E_TMP/client.log")"
wait "$gpid" || fail "guest: $(cat "$E2E_TMP/guest.log")"
daemon_alive || fail "xenchanneld died"
pass "32 MiB through kill -9 and SIGTERM restarts, every byte exactly once"
