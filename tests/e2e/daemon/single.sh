#!/usr/bin/env bash
# One xenchanneld per host: while bytes flow through the first daemon, a
# second one, whatever its options, refuses to start (exit status 1), names
# the first (pid, control socket) and touches nothing: the channels stay
# Connected, their sockets and the control socket are the same files, and
# both byte streams arrive intact, every byte checked at its offset (channel
# a's stream is longer than the test: it must still be flowing, unbroken,
# after the last refusal, however slow the machine; b's arrives whole).
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/daemon/daemon-lib.sh"
N=$((1 << 40)) # never finishes: stopped once the second daemons are all refused
M=$((8 * 1024 * 1024))

sim_start
daemon_start
dom=$(new_domain single)
sd=$(sockdir)
a=$(attach "$dom" "name=org.test.single.a,connection=socket,path=$sd/a.sock")
b=$(attach "$dom" "name=org.test.single.b,connection=socket,path=$sd/b.sock")

# a: dom0 -> guest, flowing all along
guest_peer ga xfer "$(guest_tty "$dom" "$a")" --recv $N --seed-recv 31 --timeout 300
gapid=$LAST_PID
bg ha "$PEER" xfer "$sd/a.sock" --send $N --seed-send 31 --timeout 300
hapid=$LAST_PID
# b: guest -> dom0, its client stopped half way (bytes in flight, ring full)
guest_peer gb xfer "$(guest_tty "$dom" "$b")" --send $M --seed-send 32 --timeout 300
gbpid=$LAST_PID
bg hb "$PEER" xfer "$sd/b.sock" --recv $M --seed-recv 32 --stop-at $((M / 2)) --timeout 300
hbpid=$LAST_PID
trap 'rc=$?; set +e; kill -CONT "$hbpid" 2>/dev/null; (exit $rc); e2e_cleanup' EXIT
stopped() { [ "$(awk '{ print $3 }' "/proc/$1/stat")" = T ]; }
wait_for 60 stopped "$hbpid" || fail "channel b made no progress"
flowing() { [ "$(chstat "$dom" "$a" bytes_to_guest)" -gt "$1" ]; }
wait_for 60 flowing 0 || fail "channel a made no progress"

ino() { stat -c %i "$1"; }
before="$(ino "$sd/a.sock") $(ino "$sd/b.sock") $(ino "$(control_sock)")"
lock=$(cat "$XENSIM_RUN_DIR/xenchanneld.lock")
want="another xenchanneld \(pid $DAEMON_PID, control socket $(control_sock)\)"
# daemonized or not, other control socket, pid file, socket mode, syslog
for opts in "" "--foreground --stderr" "--control $E2E_TMP/other.sock --pidfile $E2E_TMP/other.pid" \
	"-f -s -m 0660 -c $E2E_TMP/other.sock" "-v -c $(control_sock)"; do
	sent=$(chstat "$dom" "$a" bytes_to_guest)
	rc=0
	# shellcheck disable=SC2086
	"$XENCHANNELD" $opts 2>"$E2E_TMP/second.err" || rc=$?
	[ $rc -eq 1 ] || fail "second xenchanneld $opts: exit status $rc, not 1: $(cat "$E2E_TMP/second.err")"
	[[ $(cat "$E2E_TMP/second.err") =~ $want ]] ||
		fail "second xenchanneld $opts: '$(cat "$E2E_TMP/second.err")' does not name the first"
	kill -0 "$hapid" 2>/dev/null || fail "channel a, dom0 side, ended: $(cat "$E2E_TMP/ha.log")"
	wait_for 60 flowing "$sent" || fail "channel a stopped flowing after the second daemon ($opts)"
done
echo "ok: $(head -n 1 "$E2E_TMP/second.err")"
[ ! -e "$E2E_TMP/other.sock" ] || fail "the second daemon created its control socket"
[ ! -e "$E2E_TMP/other.pid" ] || fail "the second daemon wrote its pid file"
[ "$(cat "$XENSIM_RUN_DIR/xenchanneld.lock")" = "$lock" ] || fail "the lock file changed"
[ "$before" = "$(ino "$sd/a.sock") $(ino "$sd/b.sock") $(ino "$(control_sock)")" ] ||
	fail "a socket was replaced"
for d in "$a" "$b"; do
	[ "$(xenstore-read "$(be_dir "$dom" "$d")/state")" = 4 ] || fail "channel $d: backend not Connected"
	[ "$(xenstore-read "$(fe_dir "$dom" "$d")/state")" = 4 ] || fail "channel $d: frontend not Connected"
	[ "$(xenstore-read "$(be_dir "$dom" "$d")/hotplug-status")" = connected ] || fail "channel $d: verdict changed"
	[ "$(chstat "$dom" "$d" state)" = connected ] || fail "channel $d: $(chstat "$dom" "$d" state)"
	[ "$(chstat "$dom" "$d" errors)" = 0 ] || fail "channel $d: errors"
done

kill -CONT "$hbpid"
wait "$hbpid" || fail "channel b, dom0 side: $(cat "$E2E_TMP/hb.log")"
wait "$gbpid" || fail "channel b, guest side: $(cat "$E2E_TMP/gb.log")"
# a: the guest side checks every byte as it comes and exits at the first
# wrong one; still running and still receiving = everything so far intact
kill -0 "$gapid" 2>/dev/null || fail "channel a, guest side, ended: $(cat "$E2E_TMP/ga.log")"
wait_for 60 flowing "$(chstat "$dom" "$a" bytes_to_guest)" || fail "channel a stopped flowing"
kill "$hapid" "$gapid" 2>/dev/null
wait "$hapid" "$gapid" 2>/dev/null || true # ended by the kill above
! grep -q mismatch "$E2E_TMP/ga.log" || fail "channel a: $(cat "$E2E_TMP/ga.log")"
sent_a=$(chstat "$dom" "$a" bytes_to_guest)
[ "$(chstat "$dom" "$b" bytes_from_guest)" = $M ] || fail "channel b: bytes_from_guest"
daemon_alive || fail "the first xenchanneld died"
pass "5 second daemons refused mid-stream; $((sent_a >> 20)) MiB flowed unbroken meanwhile, $((M >> 20)) MiB arrived whole"
