#!/usr/bin/env bash
# Socket paths that would let someone redirect or clobber files are refused
# with a clear error naming the path, nothing is overwritten, the channel goes
# to Closing, and the daemon keeps serving good channels.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/daemon/daemon-lib.sh"

sim_start
daemon_start
dom=$(new_domain atk)
sd=$(sockdir)

# attach_refused SPEC WHAT: the daemon must refuse and say WHAT (--no-wait: the
# channel stays for us to look at; tests/e2e/toolstack/verdicts.sh checks what
# attach itself reports)
attach_refused() {
	local devid
	devid=$("$XENCHANNEL" attach --no-wait --force "$dom" "$1" 2>>"$E2E_TMP/xenchannel.log") ||
		fail "attach --no-wait $1: $(tail -n 1 "$E2E_TMP/xenchannel.log")"
	# Closing (5), then Closed (6) once the frontend has answered it
	xs_wait "$(be_dir "$dom" "$devid")/state" '[56]' || fail "$1: backend not Closing"
	case $(chstat "$dom" "$devid" state) in error | closed) ;; *) fail "$1: state $(chstat "$dom" "$devid" state)" ;; esac
	[ "$(chstat "$dom" "$devid" errors)" -ge 1 ] || fail "$1: error not counted"
	grep -q "$2" "$E2E_TMP/xenchanneld.log" || fail "$1: no '$2' in the log"
	# the verdict in xenstore, as libxl's hotplug scripts give it
	[ "$(xenstore-read "$(be_dir "$dom" "$devid")/hotplug-status")" = error ] || fail "$1: no hotplug-status error"
	xenstore-read "$(be_dir "$dom" "$devid")/hotplug-error" | grep -q "$2" || fail "$1: hotplug-error lacks '$2'"
	# a refused channel detaches like any other, without --force
	"$XENCHANNEL" detach --timeout 20 "$dom" "$devid" >>"$E2E_TMP/xenchannel.log" 2>&1 ||
		fail "$1: detach of the refused channel: $(tail -n 1 "$E2E_TMP/xenchannel.log")"
	! xenstore-read "$(be_dir "$dom" "$devid")" >/dev/null 2>&1 || fail "$1: backend left after detach"
	! xenstore-read "$(fe_dir "$dom" "$devid")" >/dev/null 2>&1 || fail "$1: frontend left after detach"
	# the next attach reuses the devid: the guest must have let go of this
	# device first (xenchannel(8), detach)
	guest_settle "$dom"
}

# world-writable parent
mkdir -m 1777 "$E2E_TMP/ww" && chmod 1777 "$E2E_TMP/ww"
attach_refused "name=org.test.ww,connection=socket,path=$E2E_TMP/ww/x.sock" "is world-writable"
[ ! -e "$E2E_TMP/ww/x.sock" ] || fail "created a socket in a world-writable directory"

# symlink at the path, pointing at a file worth keeping
echo "precious" >"$sd/precious"
ln -s "$sd/precious" "$sd/link.sock"
attach_refused "name=org.test.link,connection=socket,path=$sd/link.sock" "link.sock' exists and is a symlink"
[ -L "$sd/link.sock" ] || fail "symlink replaced"
[ "$(cat "$sd/precious")" = precious ] || fail "symlink target clobbered"

# regular file at the path
echo "data" >"$sd/file.sock"
attach_refused "name=org.test.file,connection=socket,path=$sd/file.sock" "file.sock' exists and is a regular file"
[ -f "$sd/file.sock" ] && [ "$(cat "$sd/file.sock")" = data ] || fail "regular file clobbered"

# symlinked parent directory
mkdir -m 0755 "$sd/real"
ln -s "$sd/real" "$sd/linkdir"
attach_refused "name=org.test.ldir,connection=socket,path=$sd/linkdir/x.sock" "is a symlink or not a directory"
[ ! -e "$sd/real/x.sock" ] || fail "followed a symlinked parent"

# and a good channel still works
good=$(attach "$dom" "name=org.test.good,connection=socket,path=$sd/good.sock")
tty=$(guest_tty "$dom" "$good")
guest_peer guest xfer "$tty" --send 65536 --seed-send 1 --timeout 60
g=$LAST_PID
"$PEER" xfer "$sd/good.sock" --recv 65536 --seed-recv 1 --timeout 60 >/dev/null 2>&1 || fail "good channel"
wait "$g" || fail "good channel guest"
daemon_alive || fail "xenchanneld died"
pass "world-writable parent, symlink, regular file, symlinked parent: refused, nothing touched"
