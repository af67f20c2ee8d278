#!/usr/bin/env bash
# No client attached: the guest writes 10 MiB and blocks once the ring is
# full; nothing is dropped or buffered. A client that connects later gets all
# of it, in order, exactly once.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/daemon/daemon-lib.sh"
N=$((10 * 1024 * 1024))

sim_start
daemon_start
dom=$(new_domain bp)
sd=$(sockdir)
dev=$(attach "$dom" "name=org.test.bp,connection=socket,path=$sd/bp.sock")
tty=$(guest_tty "$dom" "$dev")

guest_peer guest xfer "$tty" --send $N --seed-send 5 --timeout 300
gpid=$LAST_PID
# The out ring fills up (2048 bytes) and stays full: the guest is blocked.
out_ring_full() { [ "$(chstat "$dom" "$dev" ring_out_pending)" = 2048 ]; }
wait_for 30 out_ring_full ||
	fail "the out ring never filled up: $(stats)"
kill -0 "$gpid" || fail "the guest writer finished without a client: bytes went somewhere"
[ "$(chstat "$dom" "$dev" bytes_from_guest)" = 0 ] || fail "bytes consumed without a client"
[ "$(chstat "$dom" "$dev" client_connected)" = false ] || fail "client_connected"
rss=$(awk '/VmRSS/ {print $2}' /proc/"$DAEMON_PID"/status)

"$PEER" xfer "$sd/bp.sock" --recv $N --seed-recv 5 --timeout 300 >"$E2E_TMP/client.log" 2>&1 ||
	fail "client: $(cat "$E2E_TMP/client.log")"
wait "$gpid" || fail "guest writer: $(cat "$E2E_TMP/guest.log")"
[ "$(chstat "$dom" "$dev" bytes_from_guest)" = $N ] || fail "bytes_from_guest counter"
rss2=$(awk '/VmRSS/ {print $2}' /proc/"$DAEMON_PID"/status)
# Nothing was queued in the daemon: its RSS did not grow by anything like 10 MiB.
[ $((rss2 - rss)) -lt 2048 ] || fail "daemon RSS grew by $((rss2 - rss)) KiB"
pass "guest blocked without a client; 10 MiB delivered exactly once afterwards"
