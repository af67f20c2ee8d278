# daemon-lib.sh - helpers for the xenchanneld e2e tests (source after lib.sh).
PEER="$BUILD_DIR/tests/e2e/daemon/xcd-peer"
[ -x "$XENSIM" ] || skip "xensim not built"
[ -x "$XENCHANNEL" ] || skip "xenchannel not built"
[ -x "$PEER" ] || fail "xcd-peer not built"
command -v xenstore-watch >/dev/null || skip "xenstore-utils not installed"

control_sock() { echo "$XENSIM_RUN_DIR/xenchanneld/control.sock"; }

stats() { printf 'stats\n' | socat -t5 - "UNIX-CONNECT:$(control_sock)"; }

# chstat DOMID DEVID FIELD: one counter of one channel
chstat() {
	stats | python3 -c '
import json, sys
d, n, f = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
for line in sys.stdin:
    o = json.loads(line)
    if o["domid"] == d and o["devid"] == n:
        v = o[f]
        print(str(v).lower() if isinstance(v, bool) else v)
        sys.exit(0)
sys.exit(1)' "$1" "$2" "$3"
}

be_dir() { echo "/local/domain/0/backend/console/$1/$2"; }
fe_dir() { echo "/local/domain/$1/device/console/$2"; }

# new_domain NAME: prints the domid
new_domain() { "$XENSIM" create --name "$1" 2>>"$E2E_TMP/xensim.log" || fail "xensim create $1"; }

# attach DOMID SPEC: prints the devid, waits for Connected on both ends
attach() {
	local devid
	devid=$("$XENCHANNEL" attach "$1" "$2" 2>>"$E2E_TMP/xenchannel.log") || fail "attach $2"
	xs_wait "$(be_dir "$1" "$devid")/state" 4 || fail "channel $1/$devid: backend not Connected"
	xs_wait "$(fe_dir "$1" "$devid")/state" 4 || fail "channel $1/$devid: frontend not Connected"
	echo "$devid"
}

# guest_tty DOMID DEVID: the guest's tty for that channel: the hvc line its
# frontend allocated (first free slot, as Linux does; not always hvc<devid>)
guest_tty() {
	local hvc
	hvc=$(printf 'status\n' | socat -t5 - "UNIX-CONNECT:$XENSIM_RUN_DIR/domains/$1/frontend.sock" |
		sed -n "s/.* devid=$2 .* hvc=\(hvc[0-9]*\) .*/\1/p")
	[ -n "$hvc" ] || fail "domain $1 device $2 has no hvc line"
	echo "$XENSIM_RUN_DIR/domains/$1/root/dev/$hvc"
}

# guest_peer LOG ARGS...: xcd-peer in the background on the guest side; returns
# once it has the tty open in raw mode (an hvc tty echoes until then). LAST_PID.
guest_peer() {
	local log=$1
	shift
	bg "$log" "$PEER" "$@"
	peer_ready() { grep -q '^ready' "$E2E_TMP/$log.log"; }
	wait_for 20 peer_ready || fail "guest side $log did not open its tty: $(cat "$E2E_TMP/$log.log")"
}

# a socket directory that passes the daemon's checks
sockdir() {
	local d="$E2E_TMP/sock"
	mkdir -p "$d"
	chmod 0755 "$d"
	echo "$d"
}
