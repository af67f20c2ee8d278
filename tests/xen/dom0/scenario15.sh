# scenario 15 (XENCHANNEL_XEN_CLOUDINIT=1, alone): a cloud image's first boot.
# A domU with systemd as PID 1, Debian's cloud-init and what xenchannel-guest
# installs (the package, by dpkg), its agent channel in the config's
# channel=[...]: `xenchannel create vm.cfg && xenchannel provision
# --wait-agent --nocloud seed/ VM` is the whole flow (the channel declared and
# served by xenchanneld from the domain's first instant, no QEMU);
# xenchannel-seed.service writes the seed before
# cloud-init-local.service, and cloud-init sets the host name, creates the
# user with its ssh key and the static address; checked inside the guest
# (its report on the console, which xenconsoled logs in dom0).
CIDOM=ci-guest
CI_KEY="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ7mN0fQm2sS1xen6cloudinitkeyAAAAAAAAAAAAA xentest-cloudinit"
s15_cleanup() { xl destroy $CIDOM >/dev/null 2>&1; }
trap s15_cleanup EXIT

s15_files() {
	mkdir -p $T/seed
	printf 'instance-id: iid-xentest-ci\nlocal-hostname: ci-guest\n' >$T/seed/meta-data
	printf '%s\n' "#cloud-config" "hostname: ci-seeded" "users:" "  - name: ops" \
		"    shell: /bin/sh" "    ssh_authorized_keys:" "      - $CI_KEY" >$T/seed/user-data
	printf '%s\n' "version: 2" "ethernets:" "  eth0:" "    match:" \
		"      macaddress: \"00:16:3e:5e:ed:02\"" "    addresses: [192.0.2.60/24]" \
		>$T/seed/network-config
	printf '%s\n' "name    = \"$CIDOM\"" 'type    = "pv"' 'kernel  = "/xentest/vmlinuz"' \
		'ramdisk = "/xentest/ci-domU.cpio.gz"' 'extra   = "console=hvc0 quiet"' \
		'memory  = 1024' 'vcpus   = 1' \
		"channel = [ \"connection=socket, name=org.xenchannel.agent.0, path=$T/ci-agent.sock\" ]" \
		>$T/ci.cfg
}

s15() {
	local rc log report t0 t1 want fails="" order s l
	need_bin xenchannel xenchanneld || { result 15 cloud-init FAIL "$WHY"; return; }
	start_xenchanneld || { result 15 cloud-init FAIL "$WHY"; return; }
	[ -f /xentest/ci-domU.cpio.gz ] ||
		{ result 15 cloud-init FAIL "no cloud-init domU image (see the host log)"; return; }
	s15_files
	note "s15: xenchannel create && xenchannel provision --nocloud"
	t0=$(up)
	# the whole flow, as an admin types it
	xenchannel create $T/ci.cfg >$T/ci-create.log 2>&1 &&
		timeout 1000 xenchannel provision --json --wait-agent 900 --timeout 120 \
			--nocloud $T/seed $CIDOM >$T/ci-prov.json 2>$T/ci-prov.err
	rc=$?
	t1=$(up)
	local ciid qemu
	ciid=$(xl domid $CIDOM 2>/dev/null)
	qemu=$(ps -eo args | grep '[q]emu' | grep -e "-xen-domid $ciid\( \|$\)")
	note "s15: provision exited $rc after $(awk "BEGIN{print $t1 - $t0}")s"
	echo "XENTEST-MEASURE ci_seed_in_place_s=$(awk "BEGIN{print $t1 - $t0}")"
	cat $T/ci-create.log $T/ci-prov.err
	artifact s15-provision.json <$T/ci-prov.json
	# the guest's report, from its console log (tail -F follows it: no polling)
	log=/var/log/xen/console/guest-$CIDOM.log
	if [ $rc -eq 0 ]; then
		while IFS= read -r line; do
			case $line in *CIREPORT-END*) break ;; esac
		done < <(timeout 900 tail -n +1 -F $log 2>/dev/null)
	fi
	echo "XENTEST-MEASURE ci_report_s=$(awk "BEGIN{print $(up) - $t0}")"
	# journald puts "[uptime] unit[pid]: " before each line on the console
	report=$(tr -d '\r' <$log 2>/dev/null | sed -n 's/^.*\(CIREPORT .*\)$/\1/p' | sed 's/ *$//')
	artifact s15-guest-console.log <$log
	for want in "hostname=ci-seeded" "user=ops:/home/ops" "keys=1 mode=600 ops" \
		"addr=inet 192.0.2.60/24" "seed=700 meta-data network-config user-data" \
		"datasource=nocloud" "errors-init-local=0"; do
		printf '%s\n' "$report" | grep -qxF "CIREPORT $want" || fails="$fails [$want]"
	done
	# the seed was in place before cloud-init's local stage started
	order=$(printf '%s\n' "$report" | sed -n 's/^CIREPORT order=//p')
	s=${order#seed_done:}
	s=${s%% *}
	l=${order##*local_start:}
	{ [ -n "$s" ] && [ -n "$l" ] && [ "$s" -gt 0 ] && [ "$s" -le "$l" ]; } ||
		fails="$fails [order: $order]"
	if [ -n "$qemu" ]; then
		result 15 cloud-init FAIL "a QEMU runs for domain $ciid: $qemu"
	elif [ $rc -ne 0 ]; then
		result 15 cloud-init FAIL "xenchannel create && xenchannel provision --nocloud exited $rc: $(tail -n 3 $T/ci-prov.err | tr '\n' ' ') $(tr -d '\n' <$T/ci-prov.json | cut -c1-300)"
	elif [ -n "$fails" ]; then
		result 15 cloud-init FAIL "guest report lacks$fails: $(printf '%s\n' "$report" | tr '\n' ' ' | cut -c1-600)"
	else
		result 15 cloud-init PASS "seed over a declared channel (xenchanneld, no QEMU) $(awk "BEGIN{print $t1 - $t0}")s after xenchannel create, before cloud-init-local; cloud-init (NoCloud) set hostname ci-seeded, created ops with its ssh key, 192.0.2.60/24 on eth0 (read in the guest)"
	fi
}
s15
