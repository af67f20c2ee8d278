# scenario 3: kill -9 xenchanneld in the middle of a 1 MiB guest -> dom0
# transfer, start it again: every byte arrives, in order, exactly once but
# for the documented exception (xenchanneld(8)): a kill that lands between a
# write to the client and the ring index update makes the next instance send
# that one write (at most the 2048-byte ring) again. The repeat, if any, must
# be exactly that: the tail of what the first connection got, once.
# s3_resent FILE AT: the sizes K (largest first) for which FILE repeats the K
# bytes before offset AT right after it
s3_resent() {
	python3 -c 'import sys
d = open(sys.argv[1], "rb").read(); at = int(sys.argv[2])
print(" ".join(str(k) for k in range(min(2048, at), 0, -1) if d[at - k:at] == d[at:at + k]))' "$1" "$2"
}
s3() {
	local sum_guest sum_dom0 line killed_at size reply
	need_bin xenchanneld xenchannel || { result 3 restart-1MiB FAIL "$WHY"; return; }
	case " $PRESENT " in *" xen-console-setup "*) ;; *)
		result 3 restart-1MiB FAIL "xen-console-setup is not usable (not built, or its libraries are missing: see the host log)"; return ;; esac
	ensure_xenchanneld || { result 3 restart-1MiB FAIL "$WHY"; return; }
	attach_wait $BULK_NAME $BULK_SOCK || { result 3 restart-1MiB FAIL "$WHY"; return; }
	case $LINK in /dev/hvc[1-7]) ;; *)
		result 3 restart-1MiB FAIL "/dev/xen-channel/$BULK_NAME resolves to '$LINK' (devid $DEVID)"; return ;; esac
	sum_guest=$(guest_run 30 "head -c 1048576 /dev/urandom >/tmp/blob && sha256sum </tmp/blob | cut -d' ' -f1")
	[ ${#sum_guest} = 64 ] || { result 3 restart-1MiB FAIL "guest could not make the data: $sum_guest"; return; }
	# the guest writes 1 MiB raw; the tty stays open until every byte left
	guest_run 20 "(exec 3<>/dev/xen-channel/$BULK_NAME; stty raw -echo <&3; cat /tmp/blob >&3; echo \$? >/tmp/bulk.status) >/dev/null 2>&1 &"
	coproc COLLECT { xt-sock collect $BULK_SOCK $T/bulk.out 1048576 262144 180; }
	read -r -t 180 line <&"${COLLECT[0]}"
	case $line in
	"mark "*)
		killed_at=${line#mark }
		kill -9 "$XENCHANNELD_PID"
		wait "$XENCHANNELD_PID" 2>/dev/null
		note "killed xenchanneld (pid $XENCHANNELD_PID) with -9 after $killed_at bytes"
		XENCHANNELD_PID=
		start_xenchanneld || { echo go >&"${COLLECT[1]}"; result 3 restart-1MiB FAIL "restart: $WHY"; return; }
		note "xenchanneld restarted (pid $XENCHANNELD_PID)"
		echo go >&"${COLLECT[1]}"
		;;
	*)
		result 3 restart-1MiB FAIL "the transfer never reached 256 KiB: '$line'"
		return
		;;
	esac
	read -r -t 200 line <&"${COLLECT[0]}"
	size=$(stat -c %s $T/bulk.out)
	sum_dom0=$(sha256sum <$T/bulk.out | cut -d' ' -f1)
	note "collector: $line; received $size bytes"
	local at=${line##*at=} k ks resent=""
	if [ "$sum_dom0" != "$sum_guest" ] && [ "$size" = 1048576 ] && [[ $line == *" reconnects=1 at="* ]]; then
		# a repeat at the reconnect: the guest checks the stream with it taken out
		ks=$(s3_resent $T/bulk.out "$at")
		for k in $ks; do
			if [ "$(guest_run 30 "{ head -c $at /tmp/blob; tail -c +$((at - k + 1)) /tmp/blob; } | head -c 1048576 | sha256sum | cut -d' ' -f1")" = "$sum_dom0" ]; then
				resent=$k
				break
			fi
		done
	fi
	if [ "$sum_dom0" = "$sum_guest" ] && [ "$size" = 1048576 ]; then
		result 3 restart-1MiB PASS "kill -9 after $killed_at bytes, restart; 1048576 bytes arrived once, sha256 equal (${line#done })"
	elif [ -n "$resent" ]; then
		result 3 restart-1MiB PASS "kill -9 after $killed_at bytes, restart; every byte arrived in order, the $resent bytes of the write the kill interrupted once more at offset $at (the documented at-most-one-write repeat), sha256 equal with them taken out (${line#done })"
	else
		result 3 restart-1MiB FAIL "after kill -9 at $killed_at bytes: received $size bytes ($line), sha256 $([ "$sum_dom0" = "$sum_guest" ] && echo equal || echo differs); guest writer status $(guest_run 10 'cat /tmp/bulk.status 2>&1')"
	fi
}
s3
