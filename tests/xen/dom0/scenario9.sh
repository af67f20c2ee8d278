# scenario 9: guests that die while a client is connected to one of their
# xenchanneld channels: domU2 by `xl destroy`, domU3 by `poweroff -f` inside.
# xenchanneld logs each channel's end, frees it (the client sees EOF), and
# its descriptor count returns to what it was before these domains existed.
# die_with NAME HOW: sets WHY on failure
die_with() {
	local d=$1 how=$2 id line freed want
	id=${XDOMID[$d]}
	want=$(xenstore-ls /local/domain/$id/device/console | grep -c '^ *type = "xenchanneld"')
	local hfd
	coproc HOLD { xt-sock hold $T/d${d#domU}-x1.sock 120; }
	# our own copy: bash drops HOLD once the client exits, which it does at EOF
	exec {hfd}<&"${HOLD[0]}"
	read -r -t 30 line <&$hfd
	[ "$line" = connected ] || { WHY="$d: client did not connect: $line"; exec {hfd}<&-; return 1; }
	case $how in
	destroy) xl destroy $d ;;
	poweroff) guest_use $d; guest_send 'poweroff -f'; guest_use $DOM ;;
	esac
	read -r -t 120 line <&$hfd
	exec {hfd}<&-
	case $line in eof*) ;; *) WHY="$d ($how): the connected client saw '$line', not EOF"; return 1 ;; esac
	# the domain is gone for xenstored too
	xs_wait 60 /local/domain/$id/name '[ -z "$v" ]' || { WHY="$d ($how): domain $id still in xenstore"; return 1; }
	freed=$(grep -c "domain $id channel [0-9]* .*: \(device removed\|domain is gone; released\)" $T/xenchanneld.log)
	[ "$freed" -ge "$want" ] ||
		{ WHY="$d ($how): xenchanneld logged $freed of its $want channels as freed: $(grep "domain $id " $T/xenchanneld.log | tail -n 3 | tr '\n' ' ')"; return 1; }
	DIED="$DIED $d ($how): client EOF after ${line#eof }s, $freed channels logged freed;"
}

s9() {
	local fds line
	need_bin xenchanneld xenchannel || { result 9 guest-death FAIL "$WHY"; return; }
	extra_domains || { result 9 guest-death FAIL "$WHY"; return; }
	DIED=
	die_with domU2 destroy || { result 9 guest-death FAIL "$WHY"; return; }
	die_with domU3 poweroff || { result 9 guest-death FAIL "$WHY"; return; }
	EXTRA_DOMS=
	# the release of a channel is done once its log line is out
	fds=$(fd_count $XENCHANNELD_PID)
	grep -E "domain (${XDOMID[domU2]}|${XDOMID[domU3]}) " $T/xenchanneld.log | artifact guest-death-log.txt
	ls -l /proc/$XENCHANNELD_PID/fd | artifact guest-death-fds.txt
	if [ "$fds" != "$XCD_FD_BASE" ]; then
		result 9 guest-death FAIL "xenchanneld has $fds descriptors, $XCD_FD_BASE before the domains existed;$DIED"
	elif ! kill -0 $XENCHANNELD_PID 2>/dev/null; then
		result 9 guest-death FAIL "xenchanneld exited"
	else
		result 9 guest-death PASS "$DIED xenchanneld back to $fds descriptors (as before both domains)"
	fi
}
s9
