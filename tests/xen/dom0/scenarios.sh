#!/bin/bash
# The real-Xen scenarios, run inside dom0 by /init. Each prints one
# XENTEST-RESULT line; tests/xen/run collects them on the host.
set -u
. /xentest/lib.sh
. /xentest/domains.sh
. /xentest/params.sh # written by tests/xen/run: RELEASE, XEN_VERSION, SCENARIOS, AGENT_NAME, ...

if [ "${CLOUDINIT:-0}" = 1 ]; then # the opt-in cloud-init run: scenario 15 alone
	. /xentest/scenario15.sh
	echo "XENTEST: scenarios done"
	exit 0
fi

DOM=domU
RAW_NAME=org.xenchannel.test.raw
RAW_SOCK=$T/raw.sock
STOCK_SOCK=$T/stock.sock
OURS_NAME=${OURS_NAME:-org.xenchannel.test.ours}
OURS_SOCK=$T/ours.sock
BULK_NAME=org.xenchannel.test.bulk
BULK_SOCK=$T/bulk.sock
XENCHANNELD_PID=

cleanup() {
	local d
	[ -n "$XENCHANNELD_PID" ] && kill "$XENCHANNELD_PID" 2>/dev/null
	for d in $DOM $EXTRA_DOMS web sysd; do xl destroy "$d" >/dev/null 2>&1; done
}
trap cleanup EXIT

dump_logs() { # artifacts that explain a failure
	xenstore-ls -fp "/local/domain/$DOMID/device" 2>&1 | artifact xenstore-frontend.txt
	xenstore-ls -fp "/local/domain/0/backend/console/$DOMID" 2>&1 | artifact xenstore-backend.txt
	[ -f $T/xenchanneld.log ] && artifact xenchanneld.log <$T/xenchanneld.log
	guest_run 20 'for f in /run/xentest/*.log; do echo "=== $f"; tail -n 40 $f; done' | artifact domU-logs.txt
}

# ---------------------------------------------------------------------------
# 0. boot: the domU with stock (QEMU-served) channels, a raw byte round trip
# ---------------------------------------------------------------------------
# Channel numbering differs between the releases:
# - Xen 4.17 (bookworm): xl gives the first channel devid 0 and libxl rejects it
#   ("Primary console has invalid configuration"; fixed upstream by e1ccced4af,
#   in 4.18.5 / 4.19.2 / 4.20.1, not in 4.17): a sacrificial first channel makes
#   the real ones devid 1 and 2, and the sacrificial one must not appear.
# - Xen 4.20 (trixie): xl numbers channels from 1: no sacrificial channel, the
#   first channel of the config is devid 1.
# Either way RAW_NAME is devid 1 (/dev/hvc1) and AGENT_NAME devid 2 (/dev/hvc2).
case $XEN_VERSION in
4.17) LOST_CHANNEL="\"connection=socket, name=org.xenchannel.test.lost, path=$T/lost.sock\",
            " ;;
*) LOST_CHANNEL= ;;
esac
# with FACTS=1 also a pty channel (devid 3), to see where QEMU writes its tty
PTY_CHANNEL=
[ "${FACTS:-0}" = 1 ] && PTY_CHANNEL=',
            "connection=pty, name=org.xenchannel.test.pty"'
cat >$T/domU.cfg <<EOF
name    = "$DOM"
type    = "pv"
kernel  = "/xentest/vmlinuz"
ramdisk = "/xentest/domU.cpio"
extra   = "console=hvc0 quiet loglevel=1"
memory  = 256
vcpus   = 1
channel = [ $LOST_CHANNEL"connection=socket, name=$RAW_NAME, path=$RAW_SOCK",
            "connection=socket, name=$AGENT_NAME, path=$STOCK_SOCK"$PTY_CHANNEL ]
EOF

# numbering_check DOMID: the channel numbering this release must show (sets WHY)
numbering_check() {
	local raw agent lost
	raw=$(devid_of $1 $RAW_NAME) agent=$(devid_of $1 $AGENT_NAME)
	lost=$(devid_of $1 org.xenchannel.test.lost)
	if [ "$raw" != 1 ] || [ "$agent" != 2 ]; then
		WHY="Xen $XEN_VERSION numbered the channels $RAW_NAME=devid '$raw', $AGENT_NAME=devid '$agent' (want 1 and 2)"
		return 1
	fi
	case $XEN_VERSION in 4.17)
		# the 4.17 defect is still there: the first channel is gone
		[ -z "$lost" ] || { WHY="Xen 4.17 kept the first channel (devid $lost): the sacrificial channel is no longer needed"; return 1; }
		NUMBERING="4.17: first channel dropped (devid 0), the next ones devid 1, 2" ;;
	*) NUMBERING="$XEN_VERSION: channels numbered from devid 1, no sacrificial channel" ;;
	esac
}

note "xl create"
t0=$(up)
xl_create $T/domU.cfg $T/xl-create.log
rc=$?
note "xl create returned $rc after $(awk "BEGIN{print $(up) - $t0}")s"
cat $T/xl-create.log
DOMID=$(xl domid $DOM 2>/dev/null)
boot_ok=0
if [ $rc -ne 0 ] || [ -z "$DOMID" ]; then
	result 0 boot FAIL "xl create failed: $(tail -n 3 $T/xl-create.log | tr '\n' ' ')"
elif ! guest_open "$DOMID"; then
	result 0 boot FAIL "the domU never reached its command server (console log: /var/log/xen/console/guest-$DOM.log)"
	artifact guest-console.log </var/log/xen/console/guest-$DOM.log
else
	note "domU $DOMID ready"
	echo "XENTEST-MEASURE domu_ready_uptime_s=$(up) xl_create_s=$(awk "BEGIN{print $(up) - $t0}")"
	xs_wait 60 "/local/domain/0/backend/console/$DOMID/1/state" '[ "$v" = 4 ]'
	xs_wait 60 "/local/domain/$DOMID/device/console/1/state" '[ "$v" = 4 ]'
	# raw bytes: guest -> dom0 and dom0 -> guest through QEMU's socket
	msg="ping-$RANDOM-$RANDOM"
	guest_run 20 "exec 3<>/dev/hvc1; stty raw -echo <&3; (head -n1 <&3 >/tmp/raw-in; echo \"pong \$(cat /tmp/raw-in)\" >&3) >/dev/null 2>&1 & echo started"
	reply=$(xt-sock rt $RAW_SOCK "$msg" 20)
	guest_name=$(guest_run 10 'xenstore-read device/console/1/name')
	if ! numbering_check $DOMID; then
		result 0 boot FAIL "$WHY"
	elif [ "$reply" = "pong $msg" ] && [ "$guest_name" = "$RAW_NAME" ]; then
		boot_ok=1
		result 0 boot PASS "Xen $(xl info | awk '/^xen_version/ {print $3}'), kernel $(uname -r), domU $DOMID up, raw round trip on QEMU channel console-1 ($guest_name); numbering $NUMBERING"
	else
		result 0 boot FAIL "raw round trip over $RAW_SOCK: sent '$msg', got '$reply'; guest reads name '$guest_name'"
	fi
	xenstore-ls -fp "/local/domain/$DOMID/device/console" 2>&1 | artifact boot-xenstore-frontend.txt
	xenstore-ls -fp "/local/domain/0/backend/console/$DOMID" 2>&1 | artifact boot-xenstore-backend.txt
	xenstore-ls -fp "/libxl/$DOMID" 2>&1 | artifact boot-xenstore-libxl.txt
	ps -eo pid,rss,args | grep -e '[q]emu' | artifact boot-qemu-ps.txt
fi
[ $boot_ok = 1 ] || { dump_logs; exit 1; }

# ---------------------------------------------------------------------------
# facts (XENCHANNEL_XEN_FACTS=1): what real Xen + Linux do on a hand-written
# hotplug, before xenchanneld runs (so nothing serves that device)
# ---------------------------------------------------------------------------
[ "${FACTS:-0}" = 1 ] && . /xentest/facts.sh

# in order; 11 (qemu-guest-agent) shuts the domU down, 12 on make their own domains
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do
	want $i || continue
	. /xentest/scenario$i.sh
done
# logs only when something failed: the console is slow under emulation
[ "$ANY_FAIL" = 1 ] && dump_logs
echo "XENTEST: scenarios done"
