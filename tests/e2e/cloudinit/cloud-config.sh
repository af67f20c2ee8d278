#!/usr/bin/env bash
# e2e-cloudinit-cloud-config: a guest without cloud-init given a cloud-config
# as an ordinary document (`provision VM=user-data`, its network-config
# beside it): our agent applies what it can (host name and fqdn, users' and
# the default user's ssh keys, write_files, static network-config v2 with
# routes, DNS and MTU); every other item is reported "not applied: needs
# cloud-init" (dhcp4: true as unsupported, with the reason), never dropped,
# and the exit status says not everything was applied. Without a
# generation, the host asks the guest for its last one: the same content is
# that generation again (all unchanged), other content the next one. The
# same directory given as the document is the same document. Refusals name
# file:line:column in the cloud-init files. Kernel state is checked as root
# in the agent's own namespaces, as in e2e-agent-provision.
source "$SRC_DIR/tests/e2e/cloudinit/common.sh"
use_kernel_if_possible
agent_setup
agent_start

CC=$E2E_TMP/cc
mkdir -p "$CC"
cat >"$CC/user-data" <<'EOT'
#cloud-config
hostname: ccguest
fqdn: ccguest.e2e.example
system_info:
  default_user:
    name: ops
users:
  - default
  - name: ops
    ssh_authorized_keys:
      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE2eUser ops@e2e
    sudo: ALL=(ALL) NOPASSWD:ALL
    groups: [adm]
ssh_authorized_keys:
  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE2eDefault admin@e2e
write_files:
  - path: /etc/app/cc.conf
    content: |
      x=1
    permissions: '0640'
    owner: ops:ops
  - path: /etc/app/zipped
    encoding: gz+b64
    content: H4sIAAAAAAAAA8tIzcnJBwCGphA2BgAAAA==
packages: [nginx, [curl, "7.88.1"]]
runcmd:
  - [touch, /run/cc]
  - echo hi
EOT
cat >"$CC/network-config" <<'EOT'
version: 2
ethernets:
  eth0:
    match:
      macaddress: "52:54:00:e2:e0:01"
    addresses: [198.51.100.9/24]
    gateway4: 198.51.100.1
    mtu: 1450
    routes:
      - to: 203.0.113.0/24
        via: 198.51.100.254
    nameservers:
      addresses: [198.51.100.53]
      search: [e2e.example]
  eth1:
    dhcp4: true
EOT

rc=0
provision_json "$E2E_TMP/p1.json" "$DOM=$CC/user-data" --timeout 20 || rc=$?
[ $rc -eq 1 ] || fail "a cloud-config with cloud-init-only items exited $rc: $(cat "$E2E_TMP/p1.json.err")"
item_results "$E2E_TMP/p1.json" >"$E2E_TMP/items1"
for want in "hostname applied" "users.ops applied" "write_files./etc/app/cc.conf applied" \
	"network.nameservers applied" "users\[1\].sudo not-applied" "users\[1\].groups not-applied" \
	"write_files\[1\] (/etc/app/zipped) not-applied" "packages not-applied" "runcmd not-applied" \
	"network.ethernets.eth1 not-applied"; do
	grep -qx "$want" "$E2E_TMP/items1" || fail "'$want' missing: $(cat "$E2E_TMP/items1")"
done
python3 - "$E2E_TMP/p1.json" <<'PY' || fail "reasons: $(cat "$E2E_TMP/p1.json")"
import json, sys
t = json.load(open(sys.argv[1]))[0]
assert not t["ok"] and t["error_kind"] == "items-not-applied", t
r = t["result"]
assert r["generation"] == 1, r
reasons = {i["item"]: i.get("reason", "") for i in r["items"]}
assert reasons["packages"] == "not applied: needs cloud-init (2 entries)", reasons
assert reasons["runcmd"] == "not applied: needs cloud-init (2 entries)", reasons
assert reasons["network.ethernets.eth1"].startswith(
    "unsupported: dhcp4: true (the agent configures static addresses only"), reasons
assert r["summary"]["not-applied"] == 6, r["summary"]
PY
# What the agent applied, read inside the guest.
[ "$(cat "$ROOT/etc/hostname")" = ccguest ] || fail "/etc/hostname: $(cat "$ROOT/etc/hostname")"
grep -q $'^127.0.1.1\tccguest.e2e.example ccguest$' "$ROOT/etc/hosts" || fail "/etc/hosts: $(cat "$ROOT/etc/hosts")"
K=$ROOT/home/ops/.ssh/authorized_keys
[ "$(cat "$K")" = $'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE2eUser ops@e2e\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE2eDefault admin@e2e' ] ||
	fail "authorized_keys (the user's, then the default user's): $(cat "$K")"
[ "$(stat -c '%a %u %g' "$ROOT/etc/app/cc.conf")" = "640 1000 1000" ] || fail "cc.conf mode/owner"
[ "$(cat "$ROOT/etc/app/cc.conf")" = x=1 ] || fail "cc.conf content"
[ ! -e "$ROOT/etc/app/zipped" ] || fail "a gzip file was written"
grep -q '^nameserver 198.51.100.53$' "$ROOT/etc/resolv.conf" || fail "resolv.conf: $(cat "$ROOT/etc/resolv.conf")"
if [ $KERNEL = 1 ]; then
	grep -qx "network.ethernets.eth0 applied" "$E2E_TMP/items1" || fail "eth0: $(cat "$E2E_TMP/items1")"
	addrs=$(nsenter -t "$AGENT_PID" -n ip -o addr show eth0)
	link=$(nsenter -t "$AGENT_PID" -n ip -o link show eth0)
	routes=$(nsenter -t "$AGENT_PID" -n ip route)
	grep -q 'inet 198.51.100.9/24' <<<"$addrs" || fail "no 198.51.100.9/24: $addrs"
	grep -q 'mtu 1450' <<<"$link" || fail "mtu: $link"
	grep -q '^default via 198.51.100.1 dev eth0' <<<"$routes" || fail "no default route: $routes"
	grep -q '^203.0.113.0/24 via 198.51.100.254 dev eth0' <<<"$routes" || fail "no route: $routes"
	[ "$(nsenter -t "$AGENT_PID" -u hostname)" = ccguest ] || fail "kernel host name"
else
	grep -q "^network.ethernets.eth0 failed" "$E2E_TMP/items1" || fail "eth0 without kernel: $(cat "$E2E_TMP/items1")"
fi
# The text report lists what was not applied and says why the status is 1.
rc=0
"$XENCHANNEL" provision "$DOM=$CC/user-data" >"$E2E_TMP/p.txt" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "text run exited $rc"
grep -q "items not applied (need cloud-init)$" "$E2E_TMP/p.txt" || fail "status: $(cat "$E2E_TMP/p.txt")"
grep -q "^ *packages  *not-applied not applied: needs cloud-init (2 entries)$" "$E2E_TMP/p.txt" ||
	fail "item line: $(cat "$E2E_TMP/p.txt")"

# No generation in the cloud-config: the same content stays generation 1
# (every item unchanged), also given as the directory; new content is 2.
ino=$(stat -c %i "$K")
provision_json "$E2E_TMP/p2.json" "$DOM=$CC" --timeout 20 || true
python3 - "$E2E_TMP/p2.json" <<'PY' || fail "same content again: $(cat "$E2E_TMP/p2.json")"
import json, sys
r = json.load(open(sys.argv[1]))[0]["result"]
assert r["generation"] == 1, r
assert {i["result"] for i in r["items"]} == {"unchanged", "not-applied"}, r["items"]
PY
[ "$(stat -c %i "$K")" = "$ino" ] || fail "authorized_keys rewritten"
sed -i 's/^hostname: ccguest$/hostname: ccguest2/; s/^fqdn: .*/fqdn: ccguest2.e2e.example/' "$CC/user-data"
provision_json "$E2E_TMP/p3.json" "$DOM=$CC/user-data" --timeout 20 || true
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))[0]["result"]; assert r["generation"] == 2, r' \
	"$E2E_TMP/p3.json" || fail "new content: $(cat "$E2E_TMP/p3.json")"
[ "$(cat "$ROOT/etc/hostname")" = ccguest2 ] || fail "new host name not applied"

# A cloud-config with only what the agent does: status 0. --network-config
# names the file explicitly.
mkdir -p "$E2E_TMP/plain"
printf '#cloud-config\nhostname: ccguest3\n' >"$E2E_TMP/plain/ud"
printf 'network:\n  version: 2\n  ethernets: {}\n' >"$E2E_TMP/nc.yaml"
provision_json "$E2E_TMP/p4.json" "$DOM=$E2E_TMP/plain/ud" --network-config "$E2E_TMP/nc.yaml" --timeout 20 ||
	fail "a cloud-config the agent fully applies failed: $(cat "$E2E_TMP/p4.json" "$E2E_TMP/p4.json.err")"

# Refusals point into the cloud-init files.
cat >"$E2E_TMP/plain/bad" <<'EOT'
#cloud-config
hostname: ok
users:
  - name: Not A Login
    ssh_authorized_keys: [k]
write_files:
  - path: relative/path
EOT
printf 'version: 2\nethernets:\n  eth0:\n    gateway4: 2001:db8::1\n' >"$E2E_TMP/nc-bad.yaml"
rc=0
"$XENCHANNEL" provision "$DOM=$E2E_TMP/plain/bad" --network-config "$E2E_TMP/nc-bad.yaml" 2>"$E2E_TMP/bad.err" || rc=$?
[ $rc -eq 2 ] || fail "a bad cloud-config exited $rc: $(cat "$E2E_TMP/bad.err")"
grep -q "nc-bad.yaml:4:5: ethernets.eth0.gateway4: \"2001:db8::1\" is not an IPv4 address" "$E2E_TMP/bad.err" ||
	fail "network-config refusal: $(cat "$E2E_TMP/bad.err")"
printf 'version: 2\n' >"$E2E_TMP/nc-bad.yaml"
"$XENCHANNEL" provision "$DOM=$E2E_TMP/plain/bad" --network-config "$E2E_TMP/nc-bad.yaml" 2>"$E2E_TMP/bad.err" && fail "accepted"
for m in "plain/bad:4:5: users\[0\].name: missing or not a valid user name" \
	"plain/bad:7:5: write_files\[0\].path: want an absolute path"; do
	grep -q "$m" "$E2E_TMP/bad.err" || fail "'$m' not reported: $(cat "$E2E_TMP/bad.err")"
done
pass "cloud-config applied by our agent where it can, the rest reported item by item; generation from the guest"
