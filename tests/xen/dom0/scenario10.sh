# scenario 10: speed against QEMU in the same boot. One domU, one channel
# served by QEMU's xenpv process (RAW_NAME) and one by xenchanneld: 8 MiB
# guest -> dom0 and 8 MiB dom0 -> guest through each (sha256 checked), 1000
# round trips of 64 bytes echoed by the guest, and each backend process's CPU
# time (utime + stime, all threads) per MiB moved. The work is split into
# SPEED_ROUNDS rounds, the backends taking turns (QEMU first in odd rounds),
# so a change of the host's load falls on both. Targets: throughput >=
# QEMU's, round trip <= QEMU's, CPU per MiB <= half of QEMU's.
SPEED_NAME=org.xenchannel.test.speed
SPEED_SOCK=$T/speed.sock
SPEED_BYTES=$((${SPEED_MIB:-8} * 1048576))
SPEED_ROUNDS=4
SPEED_CHUNK=$((SPEED_BYTES / SPEED_ROUNDS))
SPEED_RTTS=1000
HZ=$(getconf CLK_TCK)
declare -A SP_SOCK SP_NAME SP_PID SP_UP_S SP_UP_T SP_DOWN_S SP_DOWN_T

# perf_start NAME PID / perf_stop: a profile of PID (XENCHANNEL_XEN_PERF=1 only)
PERF_PID=
perf_start() {
	[ "$PERF" = 1 ] || return 0
	perf record -e cpu-clock -F 499 -g -p $2 -o $T/perf-$1.data >>$T/perf-$1.log 2>&1 &
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

# speed_up B ROUND: SPEED_CHUNK bytes guest -> dom0 through backend B (the
# reader connects first: QEMU drops what arrives while no client is connected)
speed_up() {
	local b=$1 line c0 c1 pid=${SP_PID[$1]} rfd
	coproc SPEEDRECV { xt-sock recv ${SP_SOCK[$b]} $SPEED_CHUNK 300; }
	exec {rfd}<&"${SPEEDRECV[0]}" # bash drops SPEEDRECV when the reader exits
	read -r -t 30 line <&$rfd
	[ "$line" = connected ] || { WHY="$b: reader: $line"; exec {rfd}<&-; return 1; }
	perf_start $b-up-$2 $pid
	c0=$(cpu_ticks $pid)
	guest_run 20 "(exec 3<>/dev/xen-channel/${SP_NAME[$b]}; stty raw -echo <&3; cat /tmp/speed-blob >&3) >/dev/null 2>&1 &" >/dev/null
	read -r -t 310 line <&$rfd
	exec {rfd}<&-
	c1=$(cpu_ticks $pid)
	perf_stop
	set -- $line
	[ "$1" = done ] && [ "$4" = "$SPEED_SUM_GUEST" ] ||
		{ WHY="$b guest -> dom0, round $2: '$line' (want sha256 $SPEED_SUM_GUEST)"; return 1; }
	SP_UP_S[$b]=$(awk "BEGIN{print ${SP_UP_S[$b]:-0} + $3}")
	SP_UP_T[$b]=$((${SP_UP_T[$b]:-0} + c1 - c0))
}

# speed_down B ROUND: SPEED_CHUNK bytes dom0 -> guest; the guest's tty is raw
# before a byte is sent and it answers "ok" after the last one, so the time
# covers delivery, not buffering
speed_down() {
	local b=$1 line c0 c1 sum pid=${SP_PID[$1]}
	guest_run 20 "exec 3<>/dev/xen-channel/${SP_NAME[$b]}; stty raw -echo <&3; (head -c $SPEED_CHUNK <&3 >/tmp/speed-in; echo ok >&3) >/dev/null 2>&1 &" >/dev/null
	perf_start $b-down-$2 $pid
	c0=$(cpu_ticks $pid)
	line=$(xt-sock send ${SP_SOCK[$b]} $T/speed-blob 300)
	c1=$(cpu_ticks $pid)
	perf_stop
	sum=$(guest_run 60 "sha256sum </tmp/speed-in | cut -d' ' -f1; rm -f /tmp/speed-in")
	set -- $line
	[ "$1" = done ] && [ "$4" = ok ] && [ "$sum" = "$SPEED_SUM_DOM0" ] ||
		{ WHY="$b dom0 -> guest, round $2: '$line', guest sha256 '$sum' (want $SPEED_SUM_DOM0)"; return 1; }
	SP_DOWN_S[$b]=$(awk "BEGIN{print ${SP_DOWN_S[$b]:-0} + $3}")
	SP_DOWN_T[$b]=$((${SP_DOWN_T[$b]:-0} + c1 - c0))
}

# speed_echo B: SPEED_RTTS / SPEED_ROUNDS round trips of 64 bytes, the guest
# echoing whatever arrives; samples to $T/rtt-B.txt
speed_echo() {
	local b=$1 line
	guest_run 20 "exec 3<>/dev/xen-channel/${SP_NAME[$b]}; stty raw -echo <&3; (cat <&3 >&3) >/dev/null 2>&1 & echo \$! >/tmp/echo.pid" >/dev/null
	line=$(xt-sock echo ${SP_SOCK[$b]} $((SPEED_RTTS / SPEED_ROUNDS)) 64 300 $T/rtt-$b.txt)
	guest_run 10 'kill $(cat /tmp/echo.pid)' >/dev/null
	[ "${line%% *}" = done ] || { WHY="$b echo: $line"; return 1; }
}

# speed_figures B: "up down p50 p99 cpu_up cpu_down" of backend B
speed_figures() {
	local b=$1 mib
	mib=$(awk "BEGIN{print $SPEED_BYTES / 1048576}")
	sort -n $T/rtt-$b.txt | awk -v up="${SP_UP_S[$b]}" -v down="${SP_DOWN_S[$b]}" -v mib=$mib \
		-v tu="${SP_UP_T[$b]}" -v td="${SP_DOWN_T[$b]}" -v hz=$HZ '
		{ r[NR] = $1 }
		END {
			p50 = r[int(0.50 * NR) + 1]; p99 = r[int(0.99 * NR) + 1]
			printf "%.2f %.2f %.0f %.0f %.4f %.4f\n", mib / up, mib / down, p50, p99,
				tu / hz / mib, td / hz / mib
		}'
}

s10() {
	local qpid qv q x r d round order b
	need_bin xenchanneld xenchannel || { result 10 speed FAIL "$WHY"; return; }
	# measured with the first domU alone (scenario 9 ends the others; not if it failed)
	for d in $EXTRA_DOMS; do xl destroy $d >/dev/null 2>&1; done
	EXTRA_DOMS=
	ensure_xenchanneld || { result 10 speed FAIL "$WHY"; return; }
	qpid=$(pgrep -f "xen-qemu-system-i386 -xen-domid $DOMID " | head -n1)
	[ -n "$qpid" ] || { result 10 speed FAIL "no QEMU xenpv process for domain $DOMID"; return; }
	attach_wait $SPEED_NAME $SPEED_SOCK || { result 10 speed FAIL "$WHY"; return; }
	SP_SOCK[qemu]=$RAW_SOCK SP_NAME[qemu]=$RAW_NAME SP_PID[qemu]=$qpid
	SP_SOCK[xenchanneld]=$SPEED_SOCK SP_NAME[xenchanneld]=$SPEED_NAME SP_PID[xenchanneld]=$XENCHANNELD_PID
	SPEED_SUM_GUEST=$(guest_run 60 "head -c $SPEED_CHUNK /dev/urandom >/tmp/speed-blob && sha256sum </tmp/speed-blob | cut -d' ' -f1")
	[ ${#SPEED_SUM_GUEST} = 64 ] || { result 10 speed FAIL "guest could not make the data: $SPEED_SUM_GUEST"; return; }
	head -c $SPEED_CHUNK /dev/urandom >$T/speed-blob
	SPEED_SUM_DOM0=$(sha256sum <$T/speed-blob | cut -d' ' -f1)
	rm -f $T/rtt-*.txt
	qv=$(dpkg-query -W -f '${Version}' qemu-system-xen 2>/dev/null | sed 's/^1://; s/[+~].*//')

	for round in $(seq 1 $SPEED_ROUNDS); do
		order="qemu xenchanneld"
		[ $((round % 2)) = 0 ] && order="xenchanneld qemu"
		for b in $order; do
			speed_up $b $round && speed_down $b $round && speed_echo $b ||
				{ result 10 speed FAIL "$WHY"; return; }
		done
		note "speed: round $round of $SPEED_ROUNDS done"
	done
	q=$(speed_figures qemu) x=$(speed_figures xenchanneld)
	[ "$PERF" = 1 ] && perf_artifacts
	{
		echo "dom0 clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
		xenchannel list --stats $DOM 2>&1
		for b in qemu xenchanneld; do
			sort -n $T/rtt-$b.txt | awk -v b=$b '{ r[NR] = $1 }
				END { printf "%s round trip us: min %s p10 %s p50 %s p90 %s p99 %s max %s\n", b, r[1],
					r[int(NR * .1) + 1], r[int(NR * .5) + 1], r[int(NR * .9) + 1], r[int(NR * .99) + 1], r[NR] }'
		done
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
		printf "%s: %d MiB each way, %d x 64 B echo, same domU, same boot, %d rounds\n", rel, '"$((SPEED_BYTES / 1048576))"', '"$SPEED_RTTS"', '"$SPEED_ROUNDS"'
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
