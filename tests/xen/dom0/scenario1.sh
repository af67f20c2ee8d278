# scenario 1: a stock channel (xl channel=[...], served by QEMU's xenpv
# device model): real udev runs our rule, the agent answers, and
# `xenchannel provision` over QEMU's socket configures the guest.
KEY1="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ7mN0fQm2sS1xen1stockchannelkeyAAAAAAAAAA xentest-stock"
s1() {
	local link out rc
	need_bin xenchannel || { result 1 stock-channel FAIL "$WHY"; return; }
	case " $PRESENT " in *" xen-console-setup "*) ;; *)
		result 1 stock-channel FAIL "xen-console-setup is not usable (not built, or its libraries are missing: see the host log)"; return ;; esac
	[ "$RULES" = 1 ] || { result 1 stock-channel FAIL "data/udev/90-xen-channel.rules does not exist"; return; }
	case " $PRESENT " in *" xenchannel-agent "*) ;; *)
		result 1 stock-channel FAIL "xenchannel-agent is not usable (not built, or its libraries are missing: see the host log)"; return ;; esac
	# the QEMU channels existed before udevd started: coldplug ran our rule at boot
	link=$(guest_run 30 "udevadm settle -t 20; readlink -f /dev/xen-channel/$AGENT_NAME")
	if [ "$link" != /dev/hvc2 ]; then
		guest_run 20 'ls -la /dev/xen-channel/; cat /run/xentest/udevd.log | grep -i -e xen-console -e "console-" | tail -n 30' | artifact s1-guest-links.txt
		result 1 stock-channel FAIL "/dev/xen-channel/$AGENT_NAME resolves to '$link', want /dev/hvc2 (console-2)"
		return
	fi
	guest_run 20 "xenchannel-agent $AGENT_ARGS >/run/xentest/agent.log 2>&1 & echo \$! >/run/xentest/agent.pid"
	cat >$T/prov-stock.json <<JSON
{ "generation": 1, "hostname": "stock-guest",
  "network": { "version": 2, "ethernets": { "eth0": {
      "match": { "macaddress": "00:16:3e:5e:ed:01" }, "addresses": [ "192.0.2.11/24" ] } } },
  "users": [ { "name": "root", "ssh_authorized_keys": [ "$KEY1" ] } ] }
JSON
	timeout 120 xenchannel provision $DOM --config $T/prov-stock.json --timeout 90 >$T/prov-stock.out 2>&1
	rc=$?
	artifact s1-provision.txt <$T/prov-stock.out
	out=$(guest_run 20 'echo "hostname=$(hostname)"; ip -o -4 addr show dev eth0 | grep -o "inet [0-9./]*"; grep -c "xentest-stock" /root/.ssh/authorized_keys')
	echo "$out" | artifact s1-guest-state.txt
	if [ $rc -ne 0 ]; then
		result 1 stock-channel FAIL "xenchannel provision exited $rc: $(tail -n 2 $T/prov-stock.out | tr '\n' ' '); agent: $(guest_run 10 'tail -n 3 /run/xentest/agent.log' | tr '\n' ' ')"
	elif ! echo "$out" | grep -qx 'hostname=stock-guest' ||
		! echo "$out" | grep -qx 'inet 192.0.2.11/24' || ! echo "$out" | grep -qx 1; then
		result 1 stock-channel FAIL "guest state after provision: $(echo $out)"
	else
		result 1 stock-channel PASS "udev linked $AGENT_NAME -> hvc2, provision over QEMU's socket applied hostname, 192.0.2.11/24, ssh key (read back in the guest)"
	fi
}
s1
