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

# extra_start: `xl create` both, one after the other, while nothing else runs:
# libxl's deadline for QEMU's start (10 s per QMP command, compiled in) is
# tight for an emulated dom0 on a loaded host
EXTRA_STARTED=
extra_start() {
	local n d lost
	[ -z "$EXTRA_STARTED" ] || return 0
	EXTRA_STARTED=1
	for n in 2 3; do
		d=domU$n
		lost=
		[ "$XEN_VERSION" = 4.17 ] && lost="\"connection=socket, name=org.xenchannel.test.lost, path=$T/d$n-lost.sock\", "
		sed -e "s/^name .*/name    = \"$d\"/" -e '/^channel/,$d' $T/domU.cfg >$T/$d.cfg
		echo "channel = [ $lost\"connection=socket, name=org.xenchannel.test.q1, path=$T/d$n-q1.sock\", \"connection=socket, name=org.xenchannel.test.q2, path=$T/d$n-q2.sock\" ]" >>$T/$d.cfg
		EXTRA_DOMS="$EXTRA_DOMS $d"
		note "xl create $d"
		if ! xl_create $T/$d.cfg $T/xl-create-$d.log; then
			cat $T/xl-create-$d.log* | artifact xl-create-$d.txt
			WHY="xl create $d failed: $(grep -m2 error $T/xl-create-$d.log | tr '\n' ' ')"
			return 1
		fi
	done
}

extra_create() {
	local n d fd=8 i
	ensure_xenchanneld || return 1
	# xenchanneld's descriptors before anything of these domains exists
	XCD_FD_BASE=$(fd_count $XENCHANNELD_PID)
	extra_start || return 1
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
