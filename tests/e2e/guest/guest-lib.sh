# guest-lib.sh - helpers for the guest-side e2e tests (source after lib.sh).

GUEST_RULES="$SRC_DIR/data/udev/90-xen-channel.rules"

# Start a private simulator and one guest domain; sets DOM, ROOT, FSOCK.
guest_start() {
	sim_start
	DOM=$("$XENSIM" create --name "${1:-g1}") || fail "xensim create"
	ROOT="$XENSIM_RUN_DIR/domains/$DOM/root"
	FSOCK="$XENSIM_RUN_DIR/domains/$DOM/frontend.sock"
	GUEST_LOG="$XENSIM_RUN_DIR/domains/$DOM/guest.log"
	# xensim returns once the domain exists; its frontend process listens a
	# moment later: wait for the socket it creates (bounded).
	wait_for 10 test -S "$FSOCK" || fail "no frontend.sock for domain $DOM"
}

# One request to the domain's frontend; prints the reply.
fe() {
	printf '%s\n' "$*" | socat -t 60 - "UNIX-CONNECT:$FSOCK"
}

# guest_settle for this test's domain
settle() { guest_settle "$DOM"; }

# A field of one device's status line: status_field console-1 hvc
status_field() {
	fe status | awk -v k="$1" -v f="$2" '$1 == k { for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[1] == f) print a[2] } }'
}

# Where a /dev/xen-channel link points, relative to the guest root ("" if none).
link_of() {
	readlink "$ROOT/dev/xen-channel/$1" 2>/dev/null || true
}

# The libxl layout of one channel, written key by key as dom0 (the frontend
# state goes last so the guest probes a complete directory).
mkchan() {
	local id=$1 name=$2
	local fe=/local/domain/$DOM/device/console/$id be=/local/domain/0/backend/console/$DOM/$id
	xenstore-write "$be/frontend" "$fe" "$be/frontend-id" "$DOM" "$be/online" 1 \
		"$be/state" 1 "$be/protocol" vt100 "$be/name" "$name"
	xenstore-chmod -r "$be" n0 "r$DOM" # every key, as libxl has them
	xenstore-write "$fe/backend" "$be"
	xenstore-chmod "$fe" "n$DOM" r0
	xenstore-write "$fe/backend-id" 0 "$fe/protocol" vt100 "$fe/name" "$name" \
		"$fe/type" xenchanneld "$fe/limit" 1048576
	xenstore-chmod "$fe/name" n0 "r$DOM"
	xenstore-write "$fe/state" 1
}
