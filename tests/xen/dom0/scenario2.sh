# scenario 2: our backend. xenchanneld (real platform: libxenevtchn,
# libxengnttab) in dom0; `xenchannel attach` hot-adds a channel to the running
# domU (no QEMU involved), Linux's frontend connects, udev links it; detach
# removes it and the link; attach again works and provisioning runs over it.
KEY2="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH2kQ9xenchanneldbackendkeyAAAAAAAAAAAAAAAA xentest-ours"

s2() {
	local msg reply out rc devid1 gone
	need_bin xenchanneld xenchannel || { result 2 xenchanneld-hotplug FAIL "$WHY"; return; }
	case " $PRESENT " in *" xen-console-setup "*) ;; *)
		result 2 xenchanneld-hotplug FAIL "xen-console-setup is not usable (not built, or its libraries are missing: see the host log)"; return ;; esac
	ensure_xenchanneld || { result 2 xenchanneld-hotplug FAIL "$WHY"; return; }
	note "xenchanneld running (pid $XENCHANNELD_PID)"
	attach_wait $OURS_NAME $OURS_SOCK || { result 2 xenchanneld-hotplug FAIL "$WHY"; return; }
	devid1=$DEVID
	note "attached $OURS_NAME as devid $DEVID, guest link -> $LINK"
	case $LINK in /dev/hvc[1-7]) ;; *)
		result 2 xenchanneld-hotplug FAIL "after attach (devid $DEVID, both ends Connected) /dev/xen-channel/$OURS_NAME resolves to '$LINK'"; return ;; esac
	msg="hello-$RANDOM"
	guest_echo_once $OURS_NAME
	reply=$(xt-sock rt $OURS_SOCK "$msg" 20)
	[ "$reply" = "pong $msg" ] || { result 2 xenchanneld-hotplug FAIL "round trip through xenchanneld on devid $DEVID ($LINK): sent '$msg', got '$reply'"; return; }

	timeout 60 xenchannel detach $DOM $OURS_NAME >$T/detach.out 2>&1
	rc=$?
	[ $rc = 0 ] || { result 2 xenchanneld-hotplug FAIL "xenchannel detach exited $rc: $(tr '\n' ' ' <$T/detach.out)"; return; }
	gone=$(guest_run 40 "udevadm wait --removed --timeout=30 /sys/devices/console-$devid1 >/dev/null 2>&1; udevadm settle -t 30; if [ -e /dev/xen-channel/$OURS_NAME ] || [ -L /dev/xen-channel/$OURS_NAME ]; then echo present; else echo gone; fi")
	[ "$gone" = gone ] || { result 2 xenchanneld-hotplug FAIL "after detach the guest still has /dev/xen-channel/$OURS_NAME ($gone)"; return; }
	xenstore-exists /local/domain/$DOMID/device/console/$devid1 &&
		{ result 2 xenchanneld-hotplug FAIL "after detach the frontend directory devid $devid1 still exists"; return; }

	attach_wait $OURS_NAME $OURS_SOCK || { result 2 xenchanneld-hotplug FAIL "attach again: $WHY"; return; }
	note "re-attached $OURS_NAME as devid $DEVID, guest link -> $LINK"
	case $LINK in /dev/hvc[1-7]) ;; *)
		result 2 xenchanneld-hotplug FAIL "after attach again (devid $DEVID) /dev/xen-channel/$OURS_NAME resolves to '$LINK'"; return ;; esac
	case " $PRESENT " in *" xenchannel-agent "*) ;; *)
		result 2 xenchanneld-hotplug FAIL "attach/detach/attach work; provisioning not tried: xenchannel-agent is not usable (not built, or its libraries are missing: see the host log)"; return ;; esac
	guest_run 20 "xenchannel-agent $AGENT2_ARGS >/run/xentest/agent2.log 2>&1 & echo \$! >/run/xentest/agent2.pid"
	cat >$T/prov-ours.json <<JSON
{ "generation": 1, "hostname": "ours-guest",
  "network": { "version": 2, "ethernets": { "eth0": {
      "match": { "macaddress": "00:16:3e:5e:ed:01" }, "addresses": [ "192.0.2.22/24" ] } } },
  "users": [ { "name": "root", "ssh_authorized_keys": [ "$KEY2" ] } ] }
JSON
	timeout 120 xenchannel provision $DOM $PROVISION2_ARGS --config $T/prov-ours.json --timeout 90 >$T/prov-ours.out 2>&1
	rc=$?
	artifact s2-provision.txt <$T/prov-ours.out
	out=$(guest_run 20 'echo "hostname=$(hostname)"; ip -o -4 addr show dev eth0 | grep -o "inet [0-9./]*"; grep -c "xentest-ours" /root/.ssh/authorized_keys')
	echo "$out" | artifact s2-guest-state.txt
	if [ $rc -ne 0 ]; then
		result 2 xenchanneld-hotplug FAIL "attach/detach/attach work; xenchannel provision over $OURS_NAME exited $rc: $(tail -n 2 $T/prov-ours.out | tr '\n' ' '); agent: $(guest_run 10 'tail -n 3 /run/xentest/agent2.log' | tr '\n' ' ')"
	elif ! echo "$out" | grep -qx 'hostname=ours-guest' ||
		! echo "$out" | grep -qx 'inet 192.0.2.22/24' || ! echo "$out" | grep -qx 1; then
		result 2 xenchanneld-hotplug FAIL "provision over xenchanneld reported success, but the guest has: $(echo $out) (want hostname=ours-guest, inet 192.0.2.22/24, 1 key); eth0 now: $(guest_run 10 'ip -o addr show dev eth0 | grep -o "inet6* [0-9a-f:./]*" | tr "\n" " "; echo promote_secondaries=$(cat /proc/sys/net/ipv4/conf/eth0/promote_secondaries)')"
	else
		result 2 xenchanneld-hotplug PASS "attach devid $devid1 -> udev link -> round trip; detach removed device and link; attach again (devid $DEVID, $LINK) and provision over xenchanneld applied hostname, 192.0.2.22/24, ssh key"
	fi
}
s2
