#!/usr/bin/env bash
# 64 MiB each way at the same time between a guest tty and a socket client,
# every byte verified at its offset on both ends, counters checked.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/daemon/daemon-lib.sh"
N=$((64 * 1024 * 1024))

sim_start
daemon_start
dom=$(new_domain bulk)
sd=$(sockdir)
dev=$(attach "$dom" "name=org.test.bulk,connection=socket,path=$sd/bulk.sock")
tty=$(guest_tty "$dom" "$dev")
[ -S "$sd/bulk.sock" ] || fail "no socket at $sd/bulk.sock"
[ "$(stat -c %a "$sd/bulk.sock")" = 600 ] || fail "socket mode is not 0600"

guest_peer guest xfer "$tty" --send $N --seed-send 11 --recv $N --seed-recv 22 --timeout 300
gpid=$LAST_PID
"$PEER" xfer "$sd/bulk.sock" --send $N --seed-send 22 --recv $N --seed-recv 11 --timeout 300 \
	>"$E2E_TMP/client.log" 2>&1 || fail "client side: $(cat "$E2E_TMP/client.log")"
wait "$gpid" || fail "guest side: $(cat "$E2E_TMP/guest.log")"

[ "$(chstat "$dom" "$dev" bytes_to_guest)" = $N ] || fail "bytes_to_guest counter"
[ "$(chstat "$dom" "$dev" bytes_from_guest)" = $N ] || fail "bytes_from_guest counter"
[ "$(chstat "$dom" "$dev" drops)" = 0 ] || fail "drops"
[ "$(chstat "$dom" "$dev" errors)" = 0 ] || fail "errors"
daemon_alive || fail "xenchanneld died"
pass "64 MiB each way verified ($(cat "$E2E_TMP/client.log"))"
