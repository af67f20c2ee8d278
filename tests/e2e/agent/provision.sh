#!/usr/bin/env bash
# Full flow: attach -> /dev/xen-channel symlink -> agent -> provision; files
# (and, as root under unshare, kernel state) verified inside the guest; the
# same generation again -> every item unchanged.
source "$SRC_DIR/tests/e2e/agent/common.sh"
use_kernel_if_possible
agent_setup
agent_start

DOC=$E2E_TMP/doc.json
cat >"$DOC" <<'JSON'
{"generation": 1, "hostname": "g1host", "fqdn": "g1host.e2e.example",
 "network": {"version": 2, "ethernets": {"eth0": {
   "match": {"macaddress": "52:54:00:e2:e0:01"},
   "addresses": ["198.51.100.7/24", "2001:db8:e2e::7/64"], "gateway4": "198.51.100.1",
   "mtu": 1400, "routes": [{"to": "203.0.113.0/24", "via": "198.51.100.254"}],
   "nameservers": {"addresses": ["198.51.100.53"], "search": ["e2e.example"]}}}},
 "users": [{"name": "ops", "ssh_authorized_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE2e ops@e2e"]}],
 "write_files": [{"path": "/etc/app/app.conf", "content": "port=8080\n",
   "permissions": "0640", "owner": "ops:ops"}]}
JSON
if [ $KERNEL = 0 ]; then
	# Without our own namespaces the interface cannot be configured: drop it.
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["network"]["ethernets"]["eth0"].pop("match"); d["network"]["ethernets"]={}; json.dump(d, open(sys.argv[1], "w"))' "$DOC"
fi

provision_json "$E2E_TMP/p1.json" "$DOM" --config "$DOC" --timeout 20 ||
	fail "provision failed: $(cat "$E2E_TMP/p1.json" "$E2E_TMP/p1.json.err")"
item_results "$E2E_TMP/p1.json" >"$E2E_TMP/items1"
grep -qx "hostname applied" "$E2E_TMP/items1" || fail "hostname not applied: $(cat "$E2E_TMP/items1")"
grep -qx "users.ops applied" "$E2E_TMP/items1" || fail "ssh keys not applied"
grep -qx "write_files./etc/app/app.conf applied" "$E2E_TMP/items1" || fail "file not applied"

# Files, read inside the guest root.
[ "$(cat "$ROOT/etc/hostname")" = g1host ] || fail "/etc/hostname is $(cat "$ROOT/etc/hostname")"
grep -q $'^127.0.1.1\tg1host.e2e.example g1host$' "$ROOT/etc/hosts" || fail "/etc/hosts: $(cat "$ROOT/etc/hosts")"
K=$ROOT/home/ops/.ssh/authorized_keys
[ "$(cat "$K")" = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE2e ops@e2e" ] || fail "authorized_keys: $(cat "$K")"
[ "$(stat -c '%a %u %g' "$K")" = "600 1000 1000" ] || fail "authorized_keys mode/owner $(stat -c '%a %u %g' "$K")"
[ "$(stat -c '%a %u' "$ROOT/home/ops/.ssh")" = "700 1000" ] || fail ".ssh mode/owner"
[ "$(cat "$ROOT/etc/app/app.conf")" = "port=8080" ] || fail "app.conf content"
[ "$(stat -c '%a %u %g' "$ROOT/etc/app/app.conf")" = "640 1000 1000" ] || fail "app.conf mode/owner"

if [ $KERNEL = 1 ]; then
	grep -qx "network.ethernets.eth0 applied" "$E2E_TMP/items1" || fail "eth0 not applied: $(cat "$E2E_TMP/items1")"
	grep -q '^nameserver 198.51.100.53$' "$ROOT/etc/resolv.conf" || fail "resolv.conf: $(cat "$ROOT/etc/resolv.conf")"
	[ "$(nsenter -t "$AGENT_PID" -u hostname)" = g1host ] || fail "kernel hostname is $(nsenter -t "$AGENT_PID" -u hostname)"
	# (captured first: grep -q closing a pipe early would fail it under pipefail)
	addrs=$(nsenter -t "$AGENT_PID" -n ip -o addr show eth0)
	link=$(nsenter -t "$AGENT_PID" -n ip -o link show eth0)
	routes=$(nsenter -t "$AGENT_PID" -n ip route)
	grep -q 'inet 198.51.100.7/24' <<<"$addrs" || fail "no 198.51.100.7/24 on eth0: $addrs"
	grep -q 'inet6 2001:db8:e2e::7/64' <<<"$addrs" || fail "no IPv6 address on eth0: $addrs"
	grep -q 'mtu 1400' <<<"$link" || fail "mtu not 1400: $link"
	grep -q '[<,]UP[,>]' <<<"$link" || fail "eth0 not up: $link"
	grep -q '^default via 198.51.100.1 dev eth0' <<<"$routes" || fail "no default route: $routes"
	grep -q '^203.0.113.0/24 via 198.51.100.254 dev eth0' <<<"$routes" || fail "no static route: $routes"
fi

# The same generation again: nothing changes, not even an inode.
ino=$(stat -c %i "$K")
provision_json "$E2E_TMP/p2.json" "$DOM" --config "$DOC" --timeout 20 ||
	fail "second provision failed: $(cat "$E2E_TMP/p2.json")"
item_results "$E2E_TMP/p2.json" >"$E2E_TMP/items2"
if grep -v ' unchanged$' "$E2E_TMP/items2"; then fail "re-provision changed something"; fi
[ "$(wc -l <"$E2E_TMP/items2")" = "$(wc -l <"$E2E_TMP/items1")" ] || fail "item count differs"
[ "$(stat -c %i "$K")" = "$ino" ] || fail "authorized_keys was rewritten"

# status reports the generation and the last results.
st=$(agent_status)
python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["generation"] == 1, s; assert len(s["results"]) > 0' "$st" ||
	fail "status: $st"
# YAML documents (cloud-init style) are accepted too; 0640 stays a string.
cat >"$E2E_TMP/doc2.yaml" <<'YAML'
# generation 2, in YAML
generation: 2
hostname: g1yaml
write_files:
  - path: /etc/app/app.conf
    content: |
      port=9090
    permissions: 0600
    owner: ops:ops
YAML
provision_json "$E2E_TMP/p3.json" "$DOM" --config "$E2E_TMP/doc2.yaml" --timeout 20 ||
	fail "YAML provision failed: $(cat "$E2E_TMP/p3.json" "$E2E_TMP/p3.json.err")"
[ "$(cat "$ROOT/etc/hostname")" = g1yaml ] || fail "YAML hostname not applied"
[ "$(cat "$ROOT/etc/app/app.conf")" = "port=9090" ] || fail "YAML file content"
[ "$(stat -c %a "$ROOT/etc/app/app.conf")" = 600 ] || fail "YAML file mode"
printf 'generation: 3\nhostname: [unclosed\n' >"$E2E_TMP/bad.yaml"
if "$XENCHANNEL" provision "$DOM" --config "$E2E_TMP/bad.yaml" 2>"$E2E_TMP/bad.err"; then
	fail "a broken YAML document was sent"
fi
grep -q 'bad.yaml: line' "$E2E_TMP/bad.err" || fail "YAML error does not say where: $(cat "$E2E_TMP/bad.err")"
if [ $KERNEL = 1 ]; then
	# Readdressing within one subnet must keep the new address: with the
	# kernel default promote_secondaries=0, removing the old primary after
	# adding the new one would delete the new one too (seen on real Xen).
	nsenter -t "$AGENT_PID" -n sysctl -qw net.ipv4.conf.eth0.promote_secondaries=0
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["generation"]=4; e=d["network"]["ethernets"]["eth0"]; e["addresses"]=["198.51.100.8/24"]; json.dump(d, open(sys.argv[2], "w"))' "$DOC" "$E2E_TMP/doc4.json"
	provision_json "$E2E_TMP/p4.json" "$DOM" --config "$E2E_TMP/doc4.json" --timeout 20 ||
		fail "readdressing provision failed: $(cat "$E2E_TMP/p4.json")"
	addrs=$(nsenter -t "$AGENT_PID" -n ip -o -4 addr show eth0)
	grep -q 'inet 198.51.100.8/24' <<<"$addrs" || fail "new address lost on readdressing: $addrs"
	if grep -q 'inet 198.51.100.7/' <<<"$addrs"; then fail "old address kept: $addrs"; fi
fi
pass "provision: applied, verified in the guest$([ $KERNEL = 1 ] && echo ' (files and kernel)'), idempotent"
