# scenario 13: `xl reboot` of the domain of scenario 12: xl creates it again
# (new domain id) from the config it got, without channels; xenchanneld
# attaches the declared ones at the same devids and they work. Then
# `xl destroy`: no backend directory, socket or process is left, and
# xenchanneld's descriptor count is back to what it was before scenario 12.
s13() {
	local old msg reply left fd1 fd2 id links
	[ -n "$WEBID" ] || { result 13 reboot-destroy FAIL "scenario 12 created no domain"; return; }
	old=$WEBID
	fd1=$(fds)
	xl reboot $WEB >$T/reboot.out 2>&1 || { result 13 reboot-destroy FAIL "xl reboot: $(tr '\n' ' ' <$T/reboot.out)"; return; }
	newid() { id=$(xl domid $WEB 2>/dev/null) && [ -n "$id" ] && [ "$id" != "$old" ]; }
	until_ok 180 newid || { result 13 reboot-destroy FAIL "no new domain $WEB after xl reboot (still '$(xl domid $WEB 2>&1)')"; return; }
	id=$(xl domid $WEB)
	WEBID=$id
	for id in 1 2; do
		if ! xs_wait 60 /local/domain/0/backend/console/$WEBID/$id/state '[ "$v" = 4 ]' ||
			! xs_wait 60 /local/domain/$WEBID/device/console/$id/state '[ "$v" = 4 ]'; then
			result 13 reboot-destroy FAIL "after reboot, channel $id of domain $WEBID not Connected"
			return
		fi
	done
	guest_open "$WEBID" || { result 13 reboot-destroy FAIL "rebooted domain $WEBID never reached its command server"; return; }
	links=$(web_links)
	[ "$links" = "/dev/hvc1 /dev/hvc2 " ] ||
		{ result 13 reboot-destroy FAIL "links after reboot: '$links'"; return; }
	msg="again-$RANDOM"
	guest_run 20 "exec 3<>/dev/xen-channel/$WEB_RAW || exit 1; stty raw -echo <&3; (head -n1 <&3 >/tmp/echo-in; echo \"pong \$(cat /tmp/echo-in)\" >&3) >/dev/null 2>&1 &"
	reply=$(xt-sock rt $WEB_RAW_SOCK "$msg" 20)
	[ "$reply" = "pong $msg" ] || { result 13 reboot-destroy FAIL "round trip after reboot: sent '$msg', got '$reply'"; return; }
	[ -z "$(qemu_of "$WEBID")" ] || { result 13 reboot-destroy FAIL "a QEMU runs for the rebooted domain"; return; }

	xl destroy $WEB >$T/destroy.out 2>&1 || { result 13 reboot-destroy FAIL "xl destroy: $(tr '\n' ' ' <$T/destroy.out)"; return; }
	nothing_left() {
		local p
		left=""
		for p in /local/domain/0/backend/console/$old /local/domain/0/backend/console/$WEBID \
			/libxl/$old /libxl/$WEBID /local/domain/$WEBID; do
			xenstore-exists $p && left="$left $p"
		done
		for p in $WEB_AGENT_SOCK $WEB_RAW_SOCK; do [ -e $p ] && left="$left $p"; done
		[ -n "$(qemu_of "$WEBID")" ] && left="$left qemu"
		pgrep -f "xl create" >/dev/null && left="$left xl-monitor"
		[ "$(served)" = 0 ] || left="$left served=$(served)"
		[ -z "$left" ]
	}
	until_ok 60 nothing_left || { result 13 reboot-destroy FAIL "after xl destroy:$left"; return; }
	until_ok 30 test "$(fds)" = "$FD0" || { result 13 reboot-destroy FAIL "xenchanneld has $(fds) descriptors, $FD0 before scenario 12"; return; }
	fd2=$(fds)
	xenstore-ls -fp /local/domain/0/backend 2>&1 | artifact s13-backend-after-destroy.txt
	result 13 reboot-destroy PASS "xl reboot: domain $old -> $WEBID, channels 1 and 2 back (same devids, $links), round trip; xl destroy: no backend directory, socket, QEMU or xl process left; xenchanneld descriptors $FD0 -> $fd1 -> $fd2"
}
s13
