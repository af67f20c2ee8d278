# scenario 6: a pty channel served by xenchanneld (never covered before):
# `xenchannel attach ... connection=pty`, the pty named in xenstore `tty`
# (backend and frontend copies agree), bytes both ways through it, detach.
PTY_NAME=org.xenchannel.test.pty
s6() {
	local tty fetty msg reply line sum_guest sum_dom0 devid gone rfd
	need_bin xenchanneld xenchannel || { result 6 pty FAIL "$WHY"; return; }
	ensure_xenchanneld || { result 6 pty FAIL "$WHY"; return; }
	attach_to $DOM $DOMID "connection=pty,name=$PTY_NAME" || { result 6 pty FAIL "$WHY"; return; }
	devid=$DEVID
	case $LINK in /dev/hvc[1-7]) ;; *)
		result 6 pty FAIL "devid $devid Connected but /dev/xen-channel/$PTY_NAME resolves to '$LINK'"; return ;; esac
	tty=$(xenstore-read /local/domain/0/backend/console/$DOMID/$devid/tty 2>/dev/null)
	fetty=$(xenstore-read /local/domain/$DOMID/device/console/$devid/tty 2>/dev/null)
	case $tty in /dev/pts/[0-9]*) ;; *) result 6 pty FAIL "backend tty of devid $devid is '$tty'"; return ;; esac
	[ "$fetty" = "$tty" ] || { result 6 pty FAIL "tty: backend says '$tty', frontend '$fetty'"; return; }
	note "pty channel devid $devid: $tty, guest $LINK"
	# a line each way
	msg="pty-$RANDOM-$RANDOM"
	guest_echo_once $PTY_NAME
	reply=$(xt-sock rt $tty "$msg" 20)
	[ "$reply" = "pong $msg" ] || { result 6 pty FAIL "line through $tty: sent '$msg', got '$reply'"; return; }
	# 256 KiB guest -> dom0, then 256 KiB dom0 -> guest, checksums compared
	sum_guest=$(guest_run 30 "head -c 262144 /dev/urandom >/tmp/pty-blob && sha256sum </tmp/pty-blob | cut -d' ' -f1")
	coproc PTYRECV { xt-sock recv $tty 262144 120; }
	exec {rfd}<&"${PTYRECV[0]}" # bash drops PTYRECV when the reader exits
	read -r -t 30 line <&$rfd
	guest_run 20 "(exec 3<>/dev/xen-channel/$PTY_NAME; stty raw -echo <&3; cat /tmp/pty-blob >&3) >/dev/null 2>&1 &" >/dev/null
	read -r -t 130 line <&$rfd
	exec {rfd}<&-
	set -- $line
	[ "$1" = done ] && [ "$4" = "$sum_guest" ] ||
		{ result 6 pty FAIL "guest -> dom0 over $tty: '$line', guest sha256 $sum_guest"; return; }
	head -c 262144 /dev/urandom >$T/pty-blob
	sum_dom0=$(sha256sum <$T/pty-blob | cut -d' ' -f1)
	guest_run 20 "(exec 3<>/dev/xen-channel/$PTY_NAME; stty raw -echo <&3; head -c 262144 <&3 >/tmp/pty-in; echo ok >&3) >/dev/null 2>&1 &" >/dev/null
	line=$(xt-sock send $tty $T/pty-blob 120)
	reply=$(guest_run 30 "sha256sum </tmp/pty-in | cut -d' ' -f1")
	[ "${line%% *}" = done ] && [ "$reply" = "$sum_dom0" ] ||
		{ result 6 pty FAIL "dom0 -> guest over $tty: '$line', guest got sha256 $reply, sent $sum_dom0"; return; }
	timeout 60 xenchannel detach $DOM $PTY_NAME >$T/detach-pty.out 2>&1 ||
		{ result 6 pty FAIL "bytes both ways; detach failed: $(tr '\n' ' ' <$T/detach-pty.out)"; return; }
	gone=$(guest_run 40 "udevadm wait --removed --timeout=30 /sys/devices/console-$devid >/dev/null 2>&1; udevadm settle -t 30; [ -L /dev/xen-channel/$PTY_NAME ] && echo present || echo gone")
	[ "$gone" = gone ] || { result 6 pty FAIL "after detach the guest still has /dev/xen-channel/$PTY_NAME"; return; }
	result 6 pty PASS "devid $devid, tty $tty in xenstore (backend = frontend), guest $LINK: a line each way, 256 KiB each way with equal sha256; detached"
}
s6
