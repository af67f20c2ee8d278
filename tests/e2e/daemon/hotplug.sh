#!/usr/bin/env bash
# Channels come and go on a domain while another channel of the same domain
# carries traffic both ways; the busy channel is not disturbed and a detached
# channel's socket is gone.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/daemon/daemon-lib.sh"
N=$((16 * 1024 * 1024))
M=$((1024 * 1024))

sim_start
daemon_start
dom=$(new_domain hp)
sd=$(sockdir)
a=$(attach "$dom" "name=org.test.a,connection=socket,path=$sd/a.sock")
tty_a=$(guest_tty "$dom" "$a")
guest_peer guest-a xfer "$tty_a" --send $N --seed-send 1 --recv $N --seed-recv 2 --timeout 300
ga=$LAST_PID
bg client-a "$PEER" xfer "$sd/a.sock" --send $N --seed-send 2 --recv $N --seed-recv 1 --timeout 300
ca=$LAST_PID

for round in 1 2 3; do
	b=$(attach "$dom" "name=org.test.b$round,connection=socket,path=$sd/b.sock")
	tty_b=$(guest_tty "$dom" "$b")
	guest_peer guest-b$round xfer "$tty_b" --send $M --seed-send 3 --recv $M --seed-recv 4 --timeout 120
	gb=$LAST_PID
	"$PEER" xfer "$sd/b.sock" --send $M --seed-send 4 --recv $M --seed-recv 3 --timeout 120 \
		>"$E2E_TMP/client-b.log" 2>&1 || fail "channel b round $round: $(cat "$E2E_TMP/client-b.log")"
	wait "$gb" || fail "guest b round $round: $(cat "$E2E_TMP/guest-b$round.log")"
	"$XENCHANNEL" detach "$dom" "$b" >>"$E2E_TMP/xenchannel.log" 2>&1 || fail "detach round $round"
	xenstore-exists "$(be_dir "$dom" "$b")" && fail "backend dir left after detach"
	wait_for 10 bash -c "[ ! -e '$sd/b.sock' ]" || fail "socket of a detached channel left behind"
	guest_settle "$dom" # the next round reuses the devid (xenchannel(8), detach)
	kill -0 "$ca" 2>/dev/null || break # channel a already done: fine, keep checking b
done

wait "$ca" || fail "client a: $(cat "$E2E_TMP/client-a.log")"
wait "$ga" || fail "guest a: $(cat "$E2E_TMP/guest-a.log")"
daemon_alive || fail "xenchanneld died"

# Domain death (@releaseDomain) releases all of its channels, without a
# detach: the mapping, the port and the socket go away.
dom2=$(new_domain hp2)
c=$(attach "$dom2" "name=org.test.c,connection=socket,path=$sd/c.sock")
[ "$(chstat "$dom2" "$c" state)" = connected ] || fail "second domain not connected"
"$XENSIM" destroy "$dom2" >>"$E2E_TMP/xensim.log" 2>&1 || fail "xensim destroy"
gone() { ! stats | grep -q "\"domid\":$dom2,"; }
wait_for 10 gone || fail "channels of a destroyed domain still listed: $(stats)"
wait_for 10 bash -c "[ ! -e '$sd/c.sock' ]" || fail "socket of a destroyed domain left behind"
daemon_alive || fail "xenchanneld died"
pass "3 attach/detach rounds while a neighbour moved 16 MiB each way; domain death releases"
