# scenario 8: seven channels on one domU (domU2: its two stock channels, two
# attached by scenario 7's setup, three more now): udev links all seven, each
# carries a line both ways; `xenchannel attach` refuses an eighth and writes
# nothing.
s8() {
	local d=domU2 id i n names sock link links="" out reply msg
	need_bin xenchanneld xenchannel || { result 8 seven-channels FAIL "$WHY"; return; }
	extra_domains || { result 8 seven-channels FAIL "$WHY"; return; }
	id=${XDOMID[$d]}
	guest_use $d
	for i in 3 4 5; do
		attach_to $d $id "connection=socket,name=org.xenchannel.test.x$i,path=$T/d2-x$i.sock" ||
			{ result 8 seven-channels FAIL "channel $((i + 2)): $WHY"; guest_use $DOM; return; }
	done
	n=$(xenstore-list /local/domain/$id/device/console | wc -l)
	[ "$n" = 7 ] || { result 8 seven-channels FAIL "$d has $n channels, want 7"; guest_use $DOM; return; }
	names="q1 q2 x1 x2 x3 x4 x5"
	out=$(guest_run 40 "udevadm settle -t 30; for n in $names; do echo \$n \$(readlink -f /dev/xen-channel/org.xenchannel.test.\$n); done")
	for n in $names; do
		link=$(echo "$out" | awk -v n=$n '$1 == n {print $2}')
		case $link in /dev/hvc[1-7]) ;; *)
			result 8 seven-channels FAIL "org.xenchannel.test.$n is linked to '$link' ($(echo $out))"; guest_use $DOM; return ;; esac
		case " $links " in *" $link "*)
			result 8 seven-channels FAIL "two channels linked to $link ($(echo $out))"; guest_use $DOM; return ;; esac
		links="$links $link"
	done
	for n in $names; do
		msg="$n-$RANDOM"
		guest_echo_once org.xenchannel.test.$n >/dev/null
		reply=$(xt-sock rt $T/d2-$n.sock "$msg" 20)
		[ "$reply" = "pong $msg" ] ||
			{ result 8 seven-channels FAIL "org.xenchannel.test.$n: sent '$msg', got '$reply'"; guest_use $DOM; return; }
	done
	guest_use $DOM
	out=$(timeout 30 xenchannel attach $d "connection=socket,name=org.xenchannel.test.x8,path=$T/d2-x8.sock" 2>&1)
	if [ $? = 0 ]; then
		result 8 seven-channels FAIL "an eighth channel was attached (devid $out)"
	elif [ "$(xenstore-list /local/domain/$id/device/console | wc -l)" != 7 ]; then
		result 8 seven-channels FAIL "the refused eighth channel left something in xenstore: $(xenstore-list /local/domain/$id/device/console | tr '\n' ' ')"
	else
		result 8 seven-channels PASS "7 channels (2 QEMU, 5 xenchanneld) linked by udev to$links, a line both ways on each; eighth refused: $out"
	fi
}
s8
