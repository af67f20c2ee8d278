# domains.sh - two more domUs for scenarios 7-9 (sourced by scenarios.sh),
# created once, on first use: domU2 and domU3, each with two stock channels
# (xl channel=[...], served by its own QEMU xenpv process) and two channels
# attached to xenchanneld. Their consoles are open on descriptors 8 and 9.
EXTRA_STATE= EXTRA_WHY=
EXTRA_DOMS=
declare -A XDOMID XFD

# guest_use NAME: later guest_run calls go to that domU (DOM or domU2/3)
guest_use() {
	if [ "$1" = "$DOM" ]; then GFD=7; else GFD=${XFD[$1]}; fi
}

extra_domains() {
	[ "$EXTRA_STATE" = ok ] && return 0
	[ "$EXTRA_STATE" = failed ] && { WHY=$EXTRA_WHY; return 1; }
	EXTRA_STATE=failed
	extra_create && EXTRA_STATE=ok
	EXTRA_WHY=${WHY:-}
	guest_use $DOM
	[ $EXTRA_STATE = ok ]
}

# extra_start: `xl create` both, in the background (they boot while the
# scenarios on the first domU run; scenario 10 measures speed after they are gone)
EXTRA_PIDS=()
extra_start() {
	local n d lost
	[ ${#EXTRA_PIDS[@]} = 0 ] || return 0
	for n in 2 3; do
		d=domU$n
		lost=
		[ "$XEN_VERSION" = 4.17 ] && lost="\"connection=socket, name=org.xenchannel.test.lost, path=$T/d$n-lost.sock\", "
		sed -e "s/^name .*/name    = \"$d\"/" -e '/^channel/,$d' $T/domU.cfg >$T/$d.cfg
		echo "channel = [ $lost\"connection=socket, name=org.xenchannel.test.q1, path=$T/d$n-q1.sock\", \"connection=socket, name=org.xenchannel.test.q2, path=$T/d$n-q2.sock\" ]" >>$T/$d.cfg
		EXTRA_DOMS="$EXTRA_DOMS $d"
	done
	# one after the other: two QEMU starts at once miss libxl's deadline more often
	(for d in domU2 domU3; do xl_create $T/$d.cfg $T/xl-create-$d.log || touch $T/xl-create-$d.failed; done) &
	EXTRA_PIDS=($!)
	note "xl create domU2 domU3 (in the background)"
}

extra_create() {
	local n d fd=8 i
	ensure_xenchanneld || return 1
	# xenchanneld's descriptors before anything of these domains exists
	XCD_FD_BASE=$(fd_count $XENCHANNELD_PID)
	extra_start
	wait ${EXTRA_PIDS[0]}
	for d in domU2 domU3; do
		[ -e $T/xl-create-$d.failed ] && { WHY="xl create $d failed: $(tail -n 3 $T/xl-create-$d.log | tr '\n' ' ')"; return 1; }
	done
	for n in 2 3; do
		d=domU$n
		XDOMID[$d]=$(xl domid $d)
		XFD[$d]=$fd
		guest_open ${XDOMID[$d]} $fd || { WHY="$d (domain ${XDOMID[$d]}) never reached its command server"; return 1; }
		fd=$((fd + 1))
	done
	note "domU2 = ${XDOMID[domU2]}, domU3 = ${XDOMID[domU3]} ready"
	for n in 2 3; do
		d=domU$n
		guest_use $d
		for i in 1 2; do
			attach_to $d ${XDOMID[$d]} "connection=socket,name=org.xenchannel.test.x$i,path=$T/d$n-x$i.sock" ||
				return 1
		done
	done
}
