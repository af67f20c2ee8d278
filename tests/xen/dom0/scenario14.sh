# scenario 14: a domU booted with systemd as PID 1 and the xenchannel-guest
# package installed with dpkg. Hot-attaching org.xenchannel.agent.0 (devid N)
# makes udev (91-xenchannel-agent.rules) hand the device to systemd, which
# starts xenchannel-agent@N.service; the agent answers over the channel.
# Detaching it stops the service (the unit binds to the device), as Debian's
# qemu-guest-agent with its virtio port. The same for Debian's qemu-ga on
# org.qemu.guest_agent.0 (installed in this domU): xenchannel-qemu-ga@N.service
# starts, `xenchannel qga` pings it, and it stops on detach.
SYSD=sysd
SYSD_SOCK=$T/sysd-agent.sock
s14_logs() { # what the systemd domU says, for a failure
	artifact sysd-console.log </var/log/xen/console/guest-$SYSD.log
	[ -f $T/sysd-before-detach.txt ] && artifact s14-before-detach.txt <$T/sysd-before-detach.txt
	guest_run 120 'systemctl status --no-pager "xenchannel-agent@*" "xenchannel-qemu-ga@*"; systemctl list-units --no-pager --all "sys-devices-console*"; ls /sys/bus/xen/devices; journalctl -b --no-pager | tail -n 80' | artifact s14-guest.txt
}
s14() {
	local rc st out init
	need_bin xenchanneld xenchannel || { result 14 systemd-agent FAIL "$WHY"; return; }
	[ -f /xentest/domU-systemd.cpio ] || { result 14 systemd-agent FAIL "no systemd domU image (see the host log)"; return; }
	if [ -z "$XENCHANNELD_PID" ] || ! kill -0 "$XENCHANNELD_PID" 2>/dev/null; then
		start_xenchanneld || { result 14 systemd-agent FAIL "$WHY"; return; }
	fi
	cat >$T/sysd.cfg <<CFG
name    = "$SYSD"
type    = "pv"
kernel  = "/xentest/vmlinuz"
ramdisk = "/xentest/domU-systemd.cpio"
extra   = "console=hvc0 quiet loglevel=1 systemd.show_status=0"
memory  = 768
vcpus   = 1
CFG
	xl create $T/sysd.cfg >$T/sysd-create.log 2>&1 ||
		{ result 14 systemd-agent FAIL "xl create: $(tail -n 3 $T/sysd-create.log | tr '\n' ' ')"; return; }
	SYSDID=$(xl domid $SYSD)
	# systemd boots quietly: allow several 120 s silences on the console
	guest_open "$SYSDID" || guest_open "$SYSDID" || guest_open "$SYSDID" || {
		artifact sysd-console.log </var/log/xen/console/guest-$SYSD.log
		result 14 systemd-agent FAIL "the systemd domU never reached its command server"; return; }
	init=$(guest_run 20 'cat /proc/1/comm; systemctl list-units --no-legend "xenchannel-agent@*" | wc -l')
	[ "$(echo $init)" = "systemd 0" ] ||
		{ result 14 systemd-agent FAIL "before attach: PID 1 and the agent's units say '$(echo $init)', want 'systemd 0'"; return; }
	DOM=$SYSD DOMID=$SYSDID attach_wait org.xenchannel.agent.0 $SYSD_SOCK ||
		{ result 14 systemd-agent FAIL "$WHY"; return; }
	# bounded inside the guest, so the command server always answers in time
	UNIT=xenchannel-agent@$DEVID.service
	st=$(guest_run 120 "timeout 60 sh -c 'until systemctl is-active -q $UNIT; do sleep 1; done'; systemctl is-active $UNIT")
	if [ "$st" != active ]; then
		s14_logs
		result 14 systemd-agent FAIL "after attach (devid $DEVID, link $LINK) $UNIT is '$st', not active"
		return
	fi
	out=$(timeout 60 xenchannel agent-command --timeout 30 $SYSD '{"op": "status"}' 2>&1)
	rc=$?
	[ $rc = 0 ] || { result 14 systemd-agent FAIL "the udev-started agent does not answer: $(echo $out | cut -c1-200)"; return; }
	# the device as udev and systemd see it, for a failure after the detach
	guest_run 60 "systemctl list-units --no-pager --all 'sys-devices-console*'; udevadm info /sys/devices/console-$DEVID" >$T/sysd-before-detach.txt
	timeout 60 xenchannel detach $SYSD org.xenchannel.agent.0 >$T/sysd-detach.out 2>&1 ||
		{ result 14 systemd-agent FAIL "detach: $(tr '\n' ' ' <$T/sysd-detach.out)"; return; }
	st=$(guest_run 120 "timeout 60 sh -c 'while systemctl is-active -q $UNIT; do sleep 1; done'; systemctl is-active $UNIT")
	[ "$st" = inactive ] || { s14_logs; result 14 systemd-agent FAIL "after detach $UNIT is '$st', not inactive"; return; }
	local agent_unit=$UNIT
	# qemu-ga: started by the same rule, as xenchannel-qemu-ga@N
	DOM=$SYSD DOMID=$SYSDID attach_wait org.qemu.guest_agent.0 $T/sysd-qga.sock ||
		{ result 14 systemd-agent FAIL "qemu-ga channel: $WHY"; return; }
	UNIT=xenchannel-qemu-ga@$DEVID.service
	st=$(guest_run 120 "timeout 60 sh -c 'until systemctl is-active -q $UNIT; do sleep 1; done'; systemctl is-active $UNIT")
	[ "$st" = active ] || { s14_logs; result 14 systemd-agent FAIL "after attaching org.qemu.guest_agent.0 (devid $DEVID) $UNIT is '$st', not active"; return; }
	out=$(timeout 150 xenchannel qga --timeout 120 $SYSD guest-ping 2>&1)
	rc=$?
	[ $rc = 0 ] || { s14_logs; result 14 systemd-agent FAIL "qemu-ga started by $UNIT does not answer guest-ping: exit $rc: $(echo $out | cut -c1-200)"; return; }
	timeout 60 xenchannel detach $SYSD org.qemu.guest_agent.0 >$T/sysd-detach.out 2>&1 ||
		{ result 14 systemd-agent FAIL "detach qemu-ga channel: $(tr '\n' ' ' <$T/sysd-detach.out)"; return; }
	st=$(guest_run 120 "timeout 60 sh -c 'while systemctl is-active -q $UNIT; do sleep 1; done'; systemctl is-active $UNIT")
	[ "$st" = inactive ] || { s14_logs; result 14 systemd-agent FAIL "after detach $UNIT is '$st', not inactive"; return; }
	xl destroy $SYSD >/dev/null 2>&1
	result 14 systemd-agent PASS "systemd domU: attach -> udev + systemd started $agent_unit ($LINK), it answered; detach -> the service stopped; the same for Debian's qemu-ga as $UNIT (guest-ping answered)"
}
s14
