# scenario 4: memory. RSS (and PSS) of QEMU's xenpv process serving this
# domain's stock channels next to xenchanneld serving ours, printed side by side.
s4() {
	local qpid qrss qpss xrss xpss nq nx
	qpid=$(pgrep -f "xen-qemu-system-i386 -xen-domid $DOMID " | head -n1)
	[ -n "$qpid" ] || { result 4 memory FAIL "no QEMU xenpv process for domain $DOMID"; return; }
	qrss=$(rss_kib $qpid) qpss=$(pss_kib $qpid)
	nq=$(xenstore-ls /local/domain/$DOMID/device/console 2>/dev/null | grep -c '^ *type = "ioemu"')
	# run alone (XENCHANNEL_XEN_SCENARIOS=4): serve one channel of our own
	if ensure_xenchanneld && [ -n "$(need_bin xenchannel && echo y)" ] &&
		! xenstore-ls /local/domain/$DOMID/device/console | grep -q '^ *type = "xenchanneld"'; then
		attach_wait $OURS_NAME $OURS_SOCK || note "memory: $WHY"
	fi
	if [ -z "$XENCHANNELD_PID" ] || ! kill -0 "$XENCHANNELD_PID" 2>/dev/null; then
		echo "XENTEST-MEASURE qemu_xenpv_rss_kib=$qrss qemu_xenpv_pss_kib=$qpss qemu_channels=$nq"
		result 4 memory FAIL "xenchanneld is not running (QEMU xenpv: RSS $qrss KiB for $nq channels)"
		return
	fi
	xrss=$(rss_kib $XENCHANNELD_PID) xpss=$(pss_kib $XENCHANNELD_PID)
	nx=$(xenstore-ls /local/domain/$DOMID/device/console 2>/dev/null | grep -c '^ *type = "xenchanneld"')
	echo "XENTEST-MEASURE qemu_xenpv_rss_kib=$qrss qemu_xenpv_pss_kib=$qpss qemu_channels=$nq xenchanneld_rss_kib=$xrss xenchanneld_pss_kib=$xpss xenchanneld_channels=$nx"
	{
		printf '%-32s %10s %10s %9s\n' "process (one domain)" "RSS KiB" "PSS KiB" channels
		printf '%-32s %10s %10s %9s\n' "QEMU xenpv (stock)" "$qrss" "$qpss" "$nq"
		printf '%-32s %10s %10s %9s\n' "xenchanneld" "$xrss" "$xpss" "$nx"
	} | tee $T/memory.txt
	artifact memory.txt <$T/memory.txt
	if [ -n "$qrss" ] && [ -n "$xrss" ] && [ "$nx" -ge 1 ]; then
		result 4 memory PASS "RSS QEMU xenpv $qrss KiB ($nq channels) vs xenchanneld $xrss KiB ($nx channels); PSS $qpss vs $xpss KiB"
	else
		result 4 memory FAIL "could not measure: QEMU '$qrss' KiB, xenchanneld '$xrss' KiB, $nx channels served by xenchanneld"
	fi
}
s4
