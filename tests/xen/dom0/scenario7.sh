# scenario 7: memory at scale. Three domUs with two stock channels each,
# served by their three QEMU xenpv processes, and two channels each served by
# one xenchanneld: total RSS and PSS side by side.
s7() {
	local d id pid qrss=0 qpss=0 nq=0 nx=0 xrss xpss pids="" i
	need_bin xenchanneld xenchannel || { result 7 memory-3-domains FAIL "$WHY"; return; }
	extra_domains || { result 7 memory-3-domains FAIL "$WHY"; return; }
	# the first domU: two xenchanneld channels too (scenarios 2 and 3 attach them)
	i=1
	while [ "$(xenstore-ls /local/domain/$DOMID/device/console | grep -c '^ *type = "xenchanneld"')" -lt 2 ]; do
		attach_wait org.xenchannel.test.m$i $T/m$i.sock || { result 7 memory-3-domains FAIL "$WHY"; return; }
		i=$((i + 1))
	done
	for id in $DOMID ${XDOMID[domU2]} ${XDOMID[domU3]}; do
		pid=$(pgrep -f "xen-qemu-system-i386 -xen-domid $id " | head -n1)
		[ -n "$pid" ] || { result 7 memory-3-domains FAIL "no QEMU xenpv process for domain $id"; return; }
		pids="$pids $pid"
		qrss=$((qrss + $(rss_kib $pid))) qpss=$((qpss + $(pss_kib $pid)))
		nq=$((nq + $(xenstore-ls /local/domain/$id/device/console | grep -c '^ *type = "ioemu"')))
		nx=$((nx + $(xenstore-ls /local/domain/$id/device/console | grep -c '^ *type = "xenchanneld"')))
	done
	xrss=$(rss_kib $XENCHANNELD_PID) xpss=$(pss_kib $XENCHANNELD_PID)
	echo "XENTEST-MEASURE three_domains qemu_processes=3 qemu_rss_kib=$qrss qemu_pss_kib=$qpss qemu_channels=$nq xenchanneld_rss_kib=$xrss xenchanneld_pss_kib=$xpss xenchanneld_channels=$nx"
	{
		printf 'Xen %s, three domUs\n' "$XEN_VERSION"
		printf '%-34s %10s %10s %9s\n' "backend" "RSS KiB" "PSS KiB" channels
		printf '%-34s %10s %10s %9s\n' "3 x QEMU xenpv (stock), total" "$qrss" "$qpss" "$nq"
		printf '%-34s %10s %10s %9s\n' "1 x xenchanneld" "$xrss" "$xpss" "$nx"
		printf '%-34s %10s %10s\n' "ratio (QEMU/xenchanneld)" \
			"$(awk "BEGIN{printf \"%.1f\", $qrss / $xrss}")" "$(awk "BEGIN{printf \"%.1f\", $qpss / $xpss}")"
	} >$T/memory3.txt
	artifact table-memory-3-domains.txt <$T/memory3.txt
	if [ "$nq" = 6 ] && [ "$nx" = 6 ] && [ -n "$xrss" ] && [ "$xrss" -gt 0 ]; then
		result 7 memory-3-domains PASS "3 QEMU xenpv (pids$pids) RSS $qrss KiB, PSS $qpss KiB for $nq channels vs one xenchanneld RSS $xrss KiB, PSS $xpss KiB for $nx channels"
	else
		result 7 memory-3-domains FAIL "want 6 channels each: QEMU serves $nq (RSS $qrss KiB), xenchanneld $nx (RSS '$xrss' KiB)"
	fi
}
s7
