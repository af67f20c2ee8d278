# scenario 10: speed against QEMU in the same boot. One domU, one channel
# served by QEMU's xenpv process (RAW_NAME) and one by xenchanneld: 8 MiB
# guest -> dom0 and 8 MiB dom0 -> guest through each (sha256 checked), 1000
# round trips of 64 bytes echoed by the guest, and each backend process's CPU
# time (utime + stime, all threads) per MiB moved. Targets: throughput >=
# QEMU's, round trip <= QEMU's, CPU per MiB <= half of QEMU's.
SPEED_NAME=org.xenchannel.test.speed
SPEED_SOCK=$T/speed.sock
SPEED_BYTES=$((${SPEED_MIB:-8} * 1048576))
SPEED_RTTS=1000
HZ=$(getconf CLK_TCK)

# speed_one LABEL SOCK NAME PID: measures one backend; sets S_UP S_DOWN (MiB/s),
# S_P50 S_P99 (us), S_CPU_UP S_CPU_DOWN (CPU s per MiB), or WHY
speed_one() {
	local label=$1 sock=$2 name=$3 pid=$4 line c0 c1 got secs sum
	local link=/dev/xen-channel/$name
	# guest -> dom0: the reader is connected before the guest writes (QEMU
	# drops what arrives while no client is connected)
	coproc SPEEDRECV { xt-sock recv $sock $SPEED_BYTES 300; }
	read -r -t 30 line <&"${SPEEDRECV[0]}"
	[ "$line" = connected ] || { WHY="$label: reader: $line"; return 1; }
	perf_start $label-up $pid
	c0=$(cpu_ticks $pid)
	guest_run 20 "(exec 3<>$link; stty raw -echo <&3; cat /tmp/speed-blob >&3) >/dev/null 2>&1 &" >/dev/null
	read -r -t 310 line <&"${SPEEDRECV[0]}"
	c1=$(cpu_ticks $pid)
	perf_stop
	set -- $line
	[ "$1" = done ] && [ "$4" = "$SPEED_SUM_GUEST" ] ||
		{ WHY="$label guest -> dom0: '$line' (want sha256 $SPEED_SUM_GUEST)"; return 1; }
	S_UP=$(awk "BEGIN{printf \"%.2f\", $2 / 1048576 / $3}")
	note "speed: $label guest -> dom0: $S_UP MiB/s ($3 s), CPU $((c1 - c0)) ticks"
	S_CPU_UP=$(awk "BEGIN{printf \"%.4f\", ($c1 - $c0) / $HZ / ($2 / 1048576)}")
	# dom0 -> guest: the guest's tty is raw before a byte is sent; it answers
	# "ok" after the last byte, so the time covers delivery, not buffering
	guest_run 20 "exec 3<>$link; stty raw -echo <&3; (head -c $SPEED_BYTES <&3 >/tmp/speed-in; echo ok >&3) >/dev/null 2>&1 &" >/dev/null
	perf_start $label-down $pid
	c0=$(cpu_ticks $pid)
	line=$(xt-sock send $sock $T/speed-blob 300)
	c1=$(cpu_ticks $pid)
	perf_stop
	sum=$(guest_run 60 "sha256sum </tmp/speed-in | cut -d' ' -f1; rm -f /tmp/speed-in")
	set -- $line
	[ "$1" = done ] && [ "$4" = ok ] && [ "$sum" = "$SPEED_SUM_DOM0" ] ||
		{ WHY="$label dom0 -> guest: '$line', guest sha256 '$sum' (want $SPEED_SUM_DOM0)"; return 1; }
	S_DOWN=$(awk "BEGIN{printf \"%.2f\", $2 / 1048576 / $3}")
	note "speed: $label dom0 -> guest: $S_DOWN MiB/s ($3 s), CPU $((c1 - c0)) ticks"
	S_CPU_DOWN=$(awk "BEGIN{printf \"%.4f\", ($c1 - $c0) / $HZ / ($2 / 1048576)}")
	# echo round trips: the guest echoes whatever arrives
	guest_run 20 "exec 3<>$link; stty raw -echo <&3; (cat <&3 >&3) >/dev/null 2>&1 & echo \$! >/tmp/echo.pid" >/dev/null
	line=$(xt-sock echo $sock $SPEED_RTTS 64 300)
	guest_run 10 'kill $(cat /tmp/echo.pid)' >/dev/null
	set -- $line
	[ "$1" = done ] || { WHY="$label echo: $line"; return 1; }
	S_P50=$2 S_P99=$3
	note "speed: $label echo: p50 $2 us, p99 $3 us"
}

# perf_start NAME PID / perf_stop: a profile of PID (XENCHANNEL_XEN_PERF=1 only)
PERF_PID=
perf_start() {
	[ "$PERF" = 1 ] || return 0
	perf record -e cpu-clock -F 499 -g -p $2 -o $T/perf-$1.data >$T/perf-$1.log 2>&1 &
	PERF_PID=$!
}
perf_stop() {
	[ -n "$PERF_PID" ] || return 0
	kill -INT $PERF_PID
	wait $PERF_PID
	PERF_PID=
}

perf_artifacts() {
	local f
	for f in $T/perf-*.data; do
		[ -f "$f" ] || continue
		perf report -i "$f" --stdio --no-children --percent-limit 1 2>&1 | head -n 150 |
			artifact "$(basename "$f" .data).txt"
	done
}

s10() {
	local qpid qv q x r d
	need_bin xenchanneld xenchannel || { result 10 speed FAIL "$WHY"; return; }
	# measured with the first domU alone (scenario 9 ends the others; not if it failed)
	for d in $EXTRA_DOMS; do xl destroy $d >/dev/null 2>&1; done
	EXTRA_DOMS=
	ensure_xenchanneld || { result 10 speed FAIL "$WHY"; return; }
	qpid=$(pgrep -f "xen-qemu-system-i386 -xen-domid $DOMID " | head -n1)
	[ -n "$qpid" ] || { result 10 speed FAIL "no QEMU xenpv process for domain $DOMID"; return; }
	attach_wait $SPEED_NAME $SPEED_SOCK || { result 10 speed FAIL "$WHY"; return; }
	SPEED_SUM_GUEST=$(guest_run 60 "head -c $SPEED_BYTES /dev/urandom >/tmp/speed-blob && sha256sum </tmp/speed-blob | cut -d' ' -f1")
	[ ${#SPEED_SUM_GUEST} = 64 ] || { result 10 speed FAIL "guest could not make the data: $SPEED_SUM_GUEST"; return; }
	head -c $SPEED_BYTES /dev/urandom >$T/speed-blob
	SPEED_SUM_DOM0=$(sha256sum <$T/speed-blob | cut -d' ' -f1)
	qv=$(dpkg-query -W -f '${Version}' qemu-system-xen 2>/dev/null | sed 's/^1://; s/[+~].*//')

	speed_one qemu $RAW_SOCK $RAW_NAME $qpid || { result 10 speed FAIL "$WHY"; return; }
	q="$S_UP $S_DOWN $S_P50 $S_P99 $S_CPU_UP $S_CPU_DOWN"
	speed_one xenchanneld $SPEED_SOCK $SPEED_NAME $XENCHANNELD_PID || { result 10 speed FAIL "$WHY"; return; }
	x="$S_UP $S_DOWN $S_P50 $S_P99 $S_CPU_UP $S_CPU_DOWN"
	[ "$PERF" = 1 ] && perf_artifacts
	{
		echo "dom0 clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
		xenchannel list --stats $DOM 2>&1
	} | artifact speed-stats.txt
	timeout 60 xenchannel detach $DOM $SPEED_NAME >/dev/null 2>&1
	guest_run 10 'rm -f /tmp/speed-blob' >/dev/null
	rm -f $T/speed-blob

	echo "XENTEST-MEASURE speed_qemu=$(echo $q | tr ' ' ,) speed_xenchanneld=$(echo $x | tr ' ' ,) (up_MiBps,down_MiBps,rtt_p50_us,rtt_p99_us,cpu_s_per_MiB_up,cpu_s_per_MiB_down)"
	# the table, the ratios, and which targets were met
	r=$(awk -v q="$q" -v x="$x" -v qv="$qv" -v rel="Xen $XEN_VERSION, $(uname -r)" '
	function row(name, a) { printf "%-22s %10s %10s %9s %9s %11s %11s\n", name, a[1], a[2], a[3], a[4], a[5], a[6] }
	BEGIN {
		split(q, Q, " "); split(x, X, " ")
		printf "%s: %d MiB each way, %d x 64 B echo, same domU, same boot\n", rel, '"$((SPEED_BYTES / 1048576))"', '"$SPEED_RTTS"'
		printf "%-22s %10s %10s %9s %9s %11s %11s\n", "backend", "up MiB/s", "down MiB/s", "p50 us", "p99 us", "CPU s/MiB up", "down"
		row("QEMU " qv " xenpv", Q); row("xenchanneld", X)
		for (i = 1; i <= 6; i++) R[i] = Q[i] > 0 ? sprintf("%.2f", X[i] / Q[i]) : "-"
		row("ratio (ours/QEMU)", R)
		miss = ""
		if (X[1] < Q[1]) miss = miss " up-throughput"
		if (X[2] < Q[2]) miss = miss " down-throughput"
		if (X[3] > Q[3]) miss = miss " rtt-p50"
		if (X[4] > Q[4]) miss = miss " rtt-p99"
		if (X[5] > Q[5] / 2) miss = miss " cpu-up"
		if (X[6] > Q[6] / 2) miss = miss " cpu-down"
		printf "targets (tput >= 1, rtt <= 1, cpu <= 0.5): %s\n", miss == "" ? "all met" : "missed:" miss
	}')
	echo "$r" | artifact table-speed.txt
	python3 -c '
import json, sys
keys = ("up_MiBps", "down_MiBps", "rtt_p50_us", "rtt_p99_us", "cpu_s_per_MiB_up", "cpu_s_per_MiB_down")
q, x = (dict(zip(keys, map(float, a.split()))) for a in sys.argv[1:3])
print(json.dumps({"xen": sys.argv[3], "kernel": sys.argv[4], "qemu": sys.argv[5],
                  "bytes_each_way": int(sys.argv[6]), "round_trips": int(sys.argv[7]),
                  "qemu_xenpv": q, "xenchanneld": x}, indent=1))' \
		"$q" "$x" "$XEN_VERSION" "$(uname -r)" "$qv" $SPEED_BYTES $SPEED_RTTS | artifact speed.json
	echo "$r"
	result 10 speed PASS "$(echo "$r" | tail -n1); up $(echo $x | cut -d' ' -f1) vs $(echo $q | cut -d' ' -f1) MiB/s, down $(echo $x | cut -d' ' -f2) vs $(echo $q | cut -d' ' -f2) MiB/s, p50 $(echo $x | cut -d' ' -f3) vs $(echo $q | cut -d' ' -f3) us (xenchanneld vs QEMU)"
}
s10
