# scenario 12: `xenchannel create` of a PV domU whose config has two channels.
# They are declared for its name, xl creates the domain paused from the config
# without them, xenchanneld attaches them on @introduceDomain, the domain is
# unpaused: no QEMU process exists for it, udev links both channels at boot
# (coldplug), and the agent is provisioned over the declared channel.
WEB=web
WEB_RAW=org.xenchannel.test.raw
WEB_AGENT_SOCK=$T/web-agent.sock
WEB_RAW_SOCK=$T/web-raw.sock
WEBID=
FD0=
KEY6="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK6xenchannelcreatenoqemukeyAAAAAAAAAAAAAAAA xentest-create"

served() { # channels xenchanneld serves now
	printf 'stats\n' | socat -t5 - UNIX-CONNECT:/run/xenchanneld/control.sock 2>/dev/null | grep -c '"domid"'
}
fds() { ls "/proc/$XENCHANNELD_PID/fd" 2>/dev/null | wc -l; }
qemu_of() { ps -eo args | grep '[q]emu' | grep -e "-xen-domid $1\( \|$\)"; }
# the guest's links of both channels, once udev is done
web_links() {
	guest_run 40 "udevadm settle -t 30; readlink -f /dev/xen-channel/$AGENT_NAME; readlink -f /dev/xen-channel/$WEB_RAW" | tr '\n' ' '
}

s12() {
	local rc out links id t0 dt
	need_bin xenchanneld xenchannel || { result 12 create-no-qemu FAIL "$WHY"; return; }
	if [ -z "$XENCHANNELD_PID" ] || ! kill -0 "$XENCHANNELD_PID" 2>/dev/null; then
		start_xenchanneld || { result 12 create-no-qemu FAIL "$WHY"; return; }
	fi
	# the stock domU goes first (its QEMU must not be taken for this one's),
	# and with it every channel xenchanneld served
	xl destroy $DOM >/dev/null 2>&1
	until_ok 60 test "$(served)" = 0 || note "xenchanneld still serves $(served) channels of a destroyed domain"
	FD0=$(fds)
	cat >$T/web.cfg <<CFG
name    = "$WEB"
type    = "pv"
kernel  = "/xentest/vmlinuz"
ramdisk = "/xentest/domU.cpio"
extra   = "console=hvc0 quiet loglevel=1"
memory  = 256
vcpus   = 1
channel = [ "connection=socket, name=$AGENT_NAME, path=$WEB_AGENT_SOCK",
            "connection=socket, name=$WEB_RAW, path=$WEB_RAW_SOCK" ]
CFG
	t0=$(up)
	timeout 300 xenchannel create $T/web.cfg >$T/create.out 2>&1
	rc=$?
	dt=$(awk "BEGIN{print $(up) - $t0}")
	artifact s12-create.txt <$T/create.out
	WEBID=$(xl domid $WEB 2>/dev/null)
	[ $rc = 0 ] && [ -n "$WEBID" ] ||
		{ result 12 create-no-qemu FAIL "xenchannel create exited $rc: $(tail -n 3 $T/create.out | tr '\n' ' ')"; return; }
	echo "XENTEST-MEASURE xenchannel_create_s=$dt"
	out=$(qemu_of "$WEBID")
	[ -z "$out" ] && ! xenstore-exists /local/domain/0/device-model/$WEBID ||
		{ result 12 create-no-qemu FAIL "a QEMU runs for domain $WEBID: $out"; return; }
	for id in 1 2; do
		if ! xs_wait 60 /local/domain/0/backend/console/$WEBID/$id/state '[ "$v" = 4 ]' ||
			! xs_wait 60 /local/domain/$WEBID/device/console/$id/state '[ "$v" = 4 ]'; then
			result 12 create-no-qemu FAIL "channel $id of domain $WEBID not Connected (type '$(xenstore-read /local/domain/$WEBID/device/console/$id/type 2>&1)')"
			return
		fi
	done
	guest_open "$WEBID" || { result 12 create-no-qemu FAIL "domain $WEBID never reached its command server"; return; }
	links=$(web_links)
	[ "$links" = "/dev/hvc1 /dev/hvc2 " ] ||
		{ result 12 create-no-qemu FAIL "links at boot: '$links', want /dev/hvc1 /dev/hvc2"; return; }
	guest_run 20 "xenchannel-agent $AGENT_ARGS >/run/xentest/agent.log 2>&1 & echo \$! >/run/xentest/agent.pid"
	cat >$T/prov-web.json <<JSON
{ "generation": 1, "hostname": "web-guest",
  "users": [ { "name": "root", "ssh_authorized_keys": [ "$KEY6" ] } ] }
JSON
	timeout 120 xenchannel provision $WEB --config $T/prov-web.json --timeout 90 >$T/prov-web.out 2>&1
	rc=$?
	out=$(guest_run 20 'echo "hostname=$(hostname)"; grep -c "xentest-create" /root/.ssh/authorized_keys')
	if [ $rc -ne 0 ] || [ "$(echo $out)" != "hostname=web-guest 1" ]; then
		result 12 create-no-qemu FAIL "provision exited $rc ($(tail -n 2 $T/prov-web.out | tr '\n' ' ')); guest has: $(echo $out)"
		return
	fi
	result 12 create-no-qemu PASS "xenchannel create in ${dt}s: domain $WEBID, no QEMU, channels 1 and 2 by xenchanneld, udev linked $links at boot, provisioned hostname and ssh key"
}
s12
