# common.sh - shared set-up of the cloud-init e2e tests: the agent tests'
# simulator, guest and agent, plus Debian's real cloud-init, unpacked and
# never installed (installed, it would act on this machine's next boot).
source "$SRC_DIR/tests/e2e/agent/common.sh"
CI_CHECK="$SRC_DIR/tests/e2e/cloudinit/ci-check.py"

# cloud_init_find: sets CLOUD_INIT (the unpacked package's root), or skips.
# scripts/setup unpacks it to /var/cache/xenchannel-cloud-init/root.
cloud_init_find() {
	local d
	for d in "${XENCHANNEL_CLOUD_INIT:-}" /var/cache/xenchannel-cloud-init/root; do
		if [ -n "$d" ] && [ -d "$d/usr/lib/python3/dist-packages/cloudinit" ]; then
			CLOUD_INIT=$d
			break
		fi
	done
	[ -n "${CLOUD_INIT:-}" ] || skip "no unpacked cloud-init (scripts/setup unpacks Debian's)"
	# the system python, which has cloud-init's Debian dependencies
	/usr/bin/python3 -c 'import yaml, jsonschema, jinja2, configobj, requests, netifaces, jsonpatch' ||
		skip "cloud-init's Python dependencies are missing (scripts/setup installs them)"
}

# cloud_init ARGS...: Debian's cloud-init command, from the unpacked package.
cloud_init() {
	PYTHONPATH="$CLOUD_INIT/usr/lib/python3/dist-packages" /usr/bin/python3 \
		"$CLOUD_INIT/usr/bin/cloud-init" "$@"
}

# ci_check ARGS...: tests/e2e/cloudinit/ci-check.py with cloud-init importable.
ci_check() {
	PYTHONPATH="$CLOUD_INIT/usr/lib/python3/dist-packages" /usr/bin/python3 "$CI_CHECK" "$@"
}

# seed_write DIR HOSTNAME: a NoCloud seed with a user, a key, a file and a
# static address (the mac is the test guest's eth0).
seed_write() {
	mkdir -p "$1"
	cat >"$1/meta-data" <<EOT
instance-id: iid-$2
local-hostname: $2
EOT
	cat >"$1/user-data" <<EOT
#cloud-config
hostname: $2
fqdn: $2.e2e.example
users:
  - default
  - name: ops
    ssh_authorized_keys:
      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE2eCloudInit ops@e2e
    sudo: ALL=(ALL) NOPASSWD:ALL
write_files:
  - path: /etc/motd
    content: |
      seeded over the channel
    permissions: '0644'
packages: [nginx]
runcmd:
  - [touch, /run/seeded]
EOT
	cat >"$1/network-config" <<'EOT'
version: 2
ethernets:
  eth0:
    match:
      macaddress: "52:54:00:e2:e0:01"
    addresses: [192.0.2.10/24, "2001:db8:c1::10/64"]
    gateway4: 192.0.2.1
    mtu: 1450
    nameservers:
      addresses: [192.0.2.53]
      search: [e2e.example]
    routes:
      - to: 198.51.100.0/24
        via: 192.0.2.254
EOT
	printf '#cloud-config\nntp: {enabled: false}\n' >"$1/vendor-data"
}
