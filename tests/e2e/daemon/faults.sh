#!/usr/bin/env bash
# Every `xensim fault` kind on one channel while a neighbour channel of the
# same domain carries traffic both ways: the faulty channel is isolated, the
# neighbour's transfer completes intact, the daemon stays up. (How much
# throughput the neighbour keeps is measured by bench-backend, not here.)
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/daemon/daemon-lib.sh"
N=$((8 * 1024 * 1024))

sim_start
daemon_start
dom=$(new_domain flt)
sd=$(sockdir)
nb=$(attach "$dom" "name=org.test.neighbour,connection=socket,path=$sd/nb.sock")
tty_nb=$(guest_tty "$dom" "$nb")

neighbour_start() {
	guest_peer guest-nb-$1 xfer "$tty_nb" --send $N --seed-send 31 --recv $N --seed-recv 32 --timeout 300
	NB_G=$LAST_PID
	bg client-nb-$1 "$PEER" xfer "$sd/nb.sock" --send $N --seed-send 32 --recv $N --seed-recv 31 --timeout 300
	NB_C=$LAST_PID
}
neighbour_check() {
	wait "$NB_C" || fail "$1: neighbour client: $(cat "$E2E_TMP/client-nb-$1.log")"
	wait "$NB_G" || fail "$1: neighbour guest: $(cat "$E2E_TMP/guest-nb-$1.log")"
	daemon_alive || fail "$1: xenchanneld died"
}
fault() { "$XENSIM" fault "$dom" "$@" >>"$E2E_TMP/xensim.log" 2>&1 || fail "xensim fault $*"; }

# --- event-storm: counted, throttled, and the channel still works afterwards
v=$(attach "$dom" "name=org.test.storm,connection=socket,path=$sd/storm.sock")
tty_v=$(guest_tty "$dom" "$v")
neighbour_start storm
fault "$v" event-storm 200000
neighbour_check storm
ev=$(chstat "$dom" "$v" events)
[ "$ev" -gt 0 ] || fail "storm events not counted"
guest_peer guest-v xfer "$tty_v" --send 4096 --seed-send 41 --recv 4096 --seed-recv 42 --timeout 60
g=$LAST_PID
"$PEER" xfer "$sd/storm.sock" --send 4096 --seed-send 42 --recv 4096 --seed-recv 41 --timeout 60 \
	>/dev/null 2>&1 || fail "storm channel broken after the storm"
wait "$g" || fail "storm channel guest side"
echo "event-storm: $ev events counted, $(chstat "$dom" "$v" storms) throttled windows"

# --- garbage: just bytes; they reach this channel's client and nothing else
v=$(attach "$dom" "name=org.test.garbage,connection=socket,path=$sd/garbage.sock")
neighbour_start garbage
exec 7< <(socat -u "UNIX-CONNECT:$sd/garbage.sock" - | head -c 1000 | wc -c)
fault "$v" garbage 1000
neighbour_check garbage
read -r -t 30 got <&7 || fail "garbage client got nothing"
exec 7<&-
[ "$got" = 1000 ] || fail "garbage: client got $got bytes, want 1000"

# --- stall: the guest stops draining; only that channel backs up
v=$(attach "$dom" "name=org.test.stall,connection=socket,path=$sd/stall.sock")
fault "$v" stall
bg client-stall "$PEER" xfer "$sd/stall.sock" --send $((256 * 1024)) --timeout 300
sc=$LAST_PID
in_ring_full() { [ "$(chstat "$dom" "$v" ring_in_free)" = 0 ]; }
wait_for 30 in_ring_full || fail "stalled channel's in ring never filled"
neighbour_start stall
neighbour_check stall
kill -0 "$sc" || fail "stalled channel's client finished: bytes went somewhere"
[ "$(chstat "$dom" "$v" state)" = connected ] || fail "a stall is not an error"
kill "$sc"

# --- corrupt-index: that channel goes to error, backend Closing, one log line
v=$(attach "$dom" "name=org.test.corrupt,connection=socket,path=$sd/corrupt.sock")
neighbour_start corrupt
fault "$v" corrupt-index
# Closing (5), then Closed (6) once the frontend has answered it
xs_wait "$(be_dir "$dom" "$v")/state" '[56]' || fail "corrupt channel: backend not Closing"
case $(chstat "$dom" "$v" state) in error | closed) ;; *) fail "corrupt channel still $(chstat "$dom" "$v" state)" ;; esac
[ "$(chstat "$dom" "$v" errors)" -ge 1 ] || fail "corrupt channel: error not counted"
fault "$v" event-storm 1000 || true
neighbour_check corrupt
lines=$(grep -c "domain $dom channel $v (org.test.corrupt): ring indices out of range" \
	"$E2E_TMP/xenchanneld.log" || true)
[ "$lines" = 1 ] || fail "corrupt channel logged $lines lines, want 1"
[ ! -e "$sd/corrupt.sock" ] || fail "socket of the failed channel left behind"

[ "$(chstat "$dom" "$nb" errors)" = 0 ] || fail "the neighbour counted errors"
pass "event-storm, garbage, stall, corrupt-index isolated; neighbour intact each time"
