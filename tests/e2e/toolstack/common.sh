# common.sh - shared by the toolstack end-to-end tests (source after lib.sh).

export XENCHANNEL_REGISTRY="$SRC_DIR/data/channel-registry"

# xenstore-ls -f -p without the dot padding: "PATH = "VALUE" (PERMS)".
xs_dump() {
	xenstore-ls -f -p "$1" | sed -E 's/"  *[. ]*\(/" (/'
}

# Run CMD, expect exit status RC and stderr matching the ERE MSG.
expect_fail() {
	local rc=$1 msg=$2; shift 2
	local out got=0
	out=$("$@" 2>&1) || got=$?
	[ "$got" -eq "$rc" ] || fail "$* exited $got, expected $rc: $out"
	[[ $out =~ $msg ]] || fail "$*: message '$out' does not match '$msg'"
	echo "ok: $* -> $out"
}
