# scenario 11: Debian's qemu-guest-agent in the domU on a channel served by
# xenchanneld, driven by `xenchannel qga`: ping, osinfo, interfaces;
# fsfreeze of an ext4 file system mounted in the domU (a write waits while it
# is frozen and completes after the thaw); set-user-password, read back from
# /etc/shadow; guest-shutdown: the domain goes away and xenchanneld releases
# the channel. It ends the domU: the scenarios after it make their own.
QGA_NAME=org.qemu.guest_agent.0
QGA_SOCK=$T/qga.sock
# openssl passwd -6 -salt xentestqga2026 xen-qga-secret
QGA_HASH='$6$xentestqga2026$4yAX6.11k/hvwVfjEJKXIuKeospu2ciuhWPWH04pkyfuGpIwcuc23qQC29P/ovBftHN/EMGJdYg/sY2ylDbQv1'

qga() { # qga COMMAND [ARGS]: output in $T/qga.out, messages in $T/qga.err
	timeout 150 xenchannel qga --timeout 120 $DOM "$@" >$T/qga.out 2>$T/qga.err
}
qga_why() { echo "$1: exit $2: $(head -c 300 $T/qga.out | tr '\n' ' ') $(head -c 300 $T/qga.err | tr '\n' ' ')"; }
# qga_check PYTHON-EXPR: the expression, on j = the parsed output, holds
qga_check() { python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' $T/qga.out "$1"; }

s11_shutdown() { # guest-shutdown; the domain goes, xenchanneld releases the channel
	local rc=0
	qga guest-shutdown || rc=$?
	[ $rc = 0 ] || { WHY=$(qga_why guest-shutdown $rc); return 1; }
	xs_wait 120 "/local/domain/$DOMID/name" '[ -z "$v" ]' ||
		{ WHY="guest-shutdown answered, but domain $DOMID is still there: $(xl list 2>&1 | tr '\n' ' ')"; return 1; }
	xs_wait 60 "/local/domain/0/backend/console/$DOMID" '[ -z "$v" ] && ! xenstore-exists /local/domain/0/backend/console/$DOMID 2>/dev/null' ||
		{ WHY="the domain is gone but its backend directory stays"; return 1; }
	kill -0 "$XENCHANNELD_PID" 2>/dev/null || { WHY="xenchanneld died with the domain"; return 1; }
	# the daemon's log line may follow the removal it made
	until_ok 30 grep -q "domain $DOMID channel $QGA_DEVID ($QGA_NAME): \(device removed\|domain is gone; released\)" \
		$T/xenchanneld.log ||
		{ WHY="xenchanneld did not log the release of devid $QGA_DEVID"; return 1; }
}

s11_freeze() { # freeze / status / a blocked write / thaw / the write done
	# (the domU's busybox sh runs its own applets first: e2fsprogs' mke2fs by path)
	local out rc=0
	out=$(guest_run 60 'modprobe loop && modprobe ext4 && dd if=/dev/zero of=/tmp/qga-ext4.img bs=1M count=32 2>/dev/null &&
		/usr/sbin/mke2fs -q -t ext4 -F /tmp/qga-ext4.img && mkdir -p /mnt/qga &&
		mount -t ext4 -o loop /tmp/qga-ext4.img /mnt/qga && grep " /mnt/qga ext4 " /proc/mounts')
	[ $? = 0 ] || { WHY="no ext4 file system in the domU: $out"; return 1; }
	qga guest-fsfreeze-freeze || rc=$?
	[ $rc = 0 ] && qga_check 'isinstance(j, int) and j >= 1' || { WHY=$(qga_why freeze $rc); return 1; }
	qga guest-fsfreeze-status && qga_check 'j == "frozen"' || { WHY=$(qga_why "status (frozen)" $?); return 1; }
	# the write waits in the kernel (sb_start_write) while the fs is frozen
	out=$(guest_run 30 '(echo written-while-frozen >/mnt/qga/f; echo done >/tmp/qga-write.done) >/dev/null 2>&1 </dev/null &
		sleep 3; if [ -e /tmp/qga-write.done ]; then echo completed; else echo blocked; fi')
	if [ "$out" != blocked ]; then
		qga guest-fsfreeze-thaw
		WHY="a write to the frozen fs did not wait: $out"
		return 1
	fi
	qga guest-fsfreeze-thaw && qga_check 'isinstance(j, int) and j >= 1' || { WHY=$(qga_why thaw $?); return 1; }
	out=$(guest_run 60 'i=0; while [ ! -e /tmp/qga-write.done ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done; cat /mnt/qga/f')
	[ "$out" = written-while-frozen ] || { WHY="the write did not complete after the thaw: $out"; return 1; }
	qga guest-fsfreeze-status && qga_check 'j == "thawed"' || { WHY=$(qga_why "status (thawed)" $?); return 1; }
}

s11() {
	local out rc=0 steps=""
	need_bin xenchannel xenchanneld || { result 11 qemu-guest-agent FAIL "$WHY"; return; }
	if [ -z "$XENCHANNELD_PID" ] || ! kill -0 "$XENCHANNELD_PID" 2>/dev/null; then
		start_xenchanneld || { result 11 qemu-guest-agent FAIL "$WHY"; return; }
	fi
	attach_wait $QGA_NAME $QGA_SOCK || { result 11 qemu-guest-agent FAIL "$WHY"; return; }
	QGA_DEVID=$DEVID
	case $LINK in /dev/hvc[1-7]) ;; *)
		result 11 qemu-guest-agent FAIL "/dev/xen-channel/$QGA_NAME resolves to '$LINK'"; return ;; esac
	# started as xenchannel-qemu-ga@.service does (the busybox domU has no systemd)
	out=$(guest_run 30 "qemu-ga -d -m isa-serial -p /dev/xen-channel/$QGA_NAME -t /run -f /run/qemu-ga.pid -l /run/xentest/qemu-ga.log && echo started")
	[ "$out" = started ] || { result 11 qemu-guest-agent FAIL "qemu-ga did not start: $out"; return; }
	note "qemu-ga on devid $QGA_DEVID ($LINK)"
	qga guest-ping && qga_check 'j == {}' || { result 11 qemu-guest-agent FAIL "$(qga_why guest-ping $?)"; return; }
	qga guest-get-osinfo && qga_check 'j["id"] == "debian" and j["kernel-release"].endswith("-amd64")' ||
		{ result 11 qemu-guest-agent FAIL "$(qga_why guest-get-osinfo $?)"; return; }
	steps="ping, osinfo ($(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["pretty-name"], j["kernel-release"])' $T/qga.out))"
	qga guest-network-get-interfaces &&
		qga_check 'any(i["name"] == "eth0" and i.get("hardware-address") == "00:16:3e:5e:ed:01" for i in j)' ||
		{ result 11 qemu-guest-agent FAIL "$(qga_why guest-network-get-interfaces $?)"; return; }
	steps="$steps, interfaces (eth0)"
	s11_freeze || { result 11 qemu-guest-agent FAIL "after $steps: $WHY"; return; }
	steps="$steps, ext4 frozen (a write waited) and thawed"
	qga guest-set-user-password "{\"username\": \"root\", \"password\": \"$(printf '%s' "$QGA_HASH" | base64 -w0)\", \"crypted\": true}" ||
		{ result 11 qemu-guest-agent FAIL "after $steps: $(qga_why guest-set-user-password $?)"; return; }
	out=$(guest_run 20 "grep '^root:' /etc/shadow | cut -d: -f2")
	[ "$out" = "$QGA_HASH" ] || { result 11 qemu-guest-agent FAIL "after $steps: /etc/shadow has root:$out"; return; }
	steps="$steps, root's password in /etc/shadow"
	s11_shutdown || { result 11 qemu-guest-agent FAIL "after $steps: $WHY"; return; }
	result 11 qemu-guest-agent PASS "$steps, guest-shutdown: domain $DOMID gone, xenchanneld released devid $QGA_DEVID and runs on"
}
s11
