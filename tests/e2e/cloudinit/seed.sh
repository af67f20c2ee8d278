#!/usr/bin/env bash
# e2e-cloudinit-seed: `xenchannel provision --nocloud DIR` puts the NoCloud
# seed in the guest's /var/lib/cloud/seed/nocloud with the same bytes,
# files 0600 and the directory 0700, all root's; the same seed again is all
# unchanged (not an inode changes); a changed seed replaces the old one as a
# whole (a file no longer in it goes). Debian's real cloud-init, unpacked,
# reads what the agent wrote: `cloud-init schema` accepts the user-data, its
# NoCloud datasource finds the seed, and its renderers turn the
# network-config into the static address. Bad seeds are refused on the host
# with FILE:LINE:COLUMN, before anything is sent, where cloud-init refuses
# them too.
source "$SRC_DIR/tests/e2e/cloudinit/common.sh"
cloud_init_find
agent_setup
agent_start

SEED=$E2E_TMP/seed
seed_write "$SEED" seeded1
S=$ROOT/var/lib/cloud/seed/nocloud
provision_json "$E2E_TMP/p1.json" --nocloud "$SEED" "$DOM" --timeout 20 ||
	fail "provision --nocloud failed: $(cat "$E2E_TMP/p1.json" "$E2E_TMP/p1.json.err")"
item_results "$E2E_TMP/p1.json" >"$E2E_TMP/items1"
for f in meta-data user-data network-config vendor-data; do
	grep -qx "nocloud.$f applied" "$E2E_TMP/items1" || fail "nocloud.$f not applied: $(cat "$E2E_TMP/items1")"
	cmp "$SEED/$f" "$S/$f" || fail "$f in the guest differs from the seed"
	[ "$(stat -c '%a %u %g %F' "$S/$f")" = "600 0 0 regular file" ] ||
		fail "$f: mode/owner $(stat -c '%a %u %g %F' "$S/$f")"
done
[ "$(stat -c '%a %u %g %F' "$S")" = "700 0 0 directory" ] || fail "seed dir: $(stat -c '%a %u %g %F' "$S")"
[ "$(ls -A "$ROOT/var/lib/cloud/seed")" = nocloud ] || fail "leftovers: $(ls -A "$ROOT/var/lib/cloud/seed")"
python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))[0]; assert t["ok"] and t["result"]["generation"] == 1, t' \
	"$E2E_TMP/p1.json" || fail "not ok at generation 1: $(cat "$E2E_TMP/p1.json")"

# The same seed again: every file unchanged, not even an inode is new.
inodes=$(stat -c %i "$S" "$S"/*)
provision_json "$E2E_TMP/p2.json" --nocloud "$SEED" "$DOM" --timeout 20 ||
	fail "second provision failed: $(cat "$E2E_TMP/p2.json")"
item_results "$E2E_TMP/p2.json" >"$E2E_TMP/items2"
[ "$(grep -c ' unchanged$' "$E2E_TMP/items2")" = 4 ] && [ "$(wc -l <"$E2E_TMP/items2")" = 4 ] ||
	fail "re-provision is not all unchanged: $(cat "$E2E_TMP/items2")"
[ "$(stat -c %i "$S" "$S"/*)" = "$inodes" ] || fail "an unchanged seed was rewritten"
python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))[0]; assert t["result"]["generation"] == 1, t' \
	"$E2E_TMP/p2.json" || fail "the same seed got a new generation"

# Debian's cloud-init reads what the agent wrote.
cloud_init schema --config-file "$S/user-data" >"$E2E_TMP/schema.log" 2>&1 ||
	fail "cloud-init schema refuses the seed's user-data: $(cat "$E2E_TMP/schema.log")"
ci_check "$ROOT/var/lib/cloud/seed" >"$E2E_TMP/ci.json" 2>"$E2E_TMP/ci.err" ||
	fail "cloud-init could not read the seed: $(cat "$E2E_TMP/ci.err")"
python3 - "$E2E_TMP/ci.json" "$S" <<'PY' || fail "cloud-init's view of the seed: $(cat "$E2E_TMP/ci.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["found"] and r["seed"] == sys.argv[2], r
assert r["metadata"]["instance-id"] == "iid-seeded1", r["metadata"]
assert r["hostname"] == "seeded1", r["hostname"]
assert r["userdata"] == open(sys.argv[2] + "/user-data").read(), "user-data differs"
eni = r["network"]["eni"]["etc/network/interfaces"]
for want in ("iface eth0 inet static", "address 192.0.2.10/24", "gateway 192.0.2.1", "mtu 1450",
             "address 2001:db8:c1::10/64", "dns-nameservers 192.0.2.53",
             "post-up route add -net 198.51.100.0/24 gw 192.0.2.254"):
    assert want in eni, (want, eni)
nd = r["network"]["networkd"]["etc/systemd/network/10-cloud-init-eth0.network"]
for want in ("MACAddress=52:54:00:e2:e0:01", "Address=192.0.2.10/24", "Gateway=192.0.2.1",
             "MTUBytes=1450", "DNS=192.0.2.53"):
    assert want in nd, (want, nd)
PY

# A changed seed: new user-data, no vendor-data; the old seed goes as a whole.
sed -i 's/^hostname: seeded1$/hostname: seeded2/' "$SEED/user-data"
rm "$SEED/vendor-data"
provision_json "$E2E_TMP/p3.json" --nocloud "$SEED" "$DOM" --timeout 20 ||
	fail "changed seed: $(cat "$E2E_TMP/p3.json" "$E2E_TMP/p3.json.err")"
item_results "$E2E_TMP/p3.json" >"$E2E_TMP/items3"
for want in "nocloud.meta-data unchanged" "nocloud.user-data applied" "nocloud.network-config unchanged" \
	"nocloud.vendor-data applied"; do
	grep -qx "$want" "$E2E_TMP/items3" || fail "'$want' missing: $(cat "$E2E_TMP/items3")"
done
[ ! -e "$S/vendor-data" ] || fail "vendor-data is still in the guest"
cmp "$SEED/user-data" "$S/user-data" || fail "new user-data not in place"
python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))[0]; assert t["result"]["generation"] == 2, t' \
	"$E2E_TMP/p3.json" || fail "a changed seed did not get generation 2"

# Bad seeds: refused on the host, with file:line:column, nothing sent.
before=$(stat -c %i "$S/user-data")
BAD=$E2E_TMP/bad
cp -r "$SEED" "$BAD"
cat >"$BAD/user-data" <<'EOT'
#cloud-config
hostname: [not, a, name]
users:
  - name: ops
    ssh_authorized_keys: ssh-ed25519 AAAA-not-a-list
write_files:
  - content: no path
    permissions: 0644
EOT
printf 'version: 1\nconfig: []\n' >"$BAD/network-config"
rc=0
"$XENCHANNEL" provision --nocloud "$BAD" "$DOM" >"$E2E_TMP/bad.out" 2>"$E2E_TMP/bad.err" || rc=$?
[ $rc -eq 2 ] || fail "a bad seed exited $rc: $(cat "$E2E_TMP/bad.err")"
for m in "bad/user-data:2:1: hostname: want a string, not a list" \
	"bad/user-data:5:5: users\[0\].ssh_authorized_keys: want a list, not a string" \
	"bad/user-data:7:5: write_files\[0\]: no path" \
	"bad/user-data:8:5: write_files\[0\].permissions: want a string like '0644'" \
	"bad/network-config:1:1: version: only network-config version 2 is accepted"; do
	grep -q "$m" "$E2E_TMP/bad.err" || fail "'$m' not reported: $(cat "$E2E_TMP/bad.err")"
done
# ... where cloud-init's own schema check refuses it too
if cloud_init schema --config-file "$BAD/user-data" >"$E2E_TMP/cischema.log" 2>&1; then
	fail "cloud-init accepts what the host refused"
fi
grep -q "hostname" "$E2E_TMP/cischema.log" || fail "cloud-init's refusal: $(cat "$E2E_TMP/cischema.log")"
printf 'not a cloud-config\n' >"$BAD/user-data"
cp "$SEED/network-config" "$BAD/network-config"
printf 'instance-id: [x\n' >"$BAD/meta-data"
rc=0
"$XENCHANNEL" provision --nocloud "$BAD" "$DOM" 2>"$E2E_TMP/bad2.err" || rc=$?
[ $rc -eq 2 ] || fail "a bad seed exited $rc"
grep -q "bad/user-data:1:1: not a format cloud-init reads" "$E2E_TMP/bad2.err" || fail "header: $(cat "$E2E_TMP/bad2.err")"
grep -q "bad/meta-data:2:1: " "$E2E_TMP/bad2.err" || fail "meta-data: $(cat "$E2E_TMP/bad2.err")"
rm "$BAD/meta-data"
rc=0
"$XENCHANNEL" provision --nocloud "$BAD" "$DOM" 2>"$E2E_TMP/bad3.err" || rc=$?
[ $rc -eq 2 ] && grep -q "bad/meta-data: " "$E2E_TMP/bad3.err" || fail "missing meta-data: $(cat "$E2E_TMP/bad3.err")"
[ "$(stat -c %i "$S/user-data")" = "$before" ] || fail "a refused seed reached the guest"

# An agent from before seeds: told apart, nothing sent.
coproc OLD { exec python3 "$SRC_DIR/tests/e2e/cloudinit/old-agent.py" "$E2E_TMP/old.sock"; }
E2E_PIDS+=("$OLD_PID")
read -r -t 20 line <&"${OLD[0]}" && [ "$line" = ready ] || fail "old agent did not start"
rc=0
provision_json "$E2E_TMP/old.json" --nocloud "$SEED" "$E2E_TMP/old.sock" --timeout 20 || rc=$?
[ $rc -eq 1 ] || fail "an old agent: exit $rc"
python3 - "$E2E_TMP/old.json" <<'PY' || fail "old agent: $(cat "$E2E_TMP/old.json")"
import json, sys
t = json.load(open(sys.argv[1]))[0]
assert t["error_kind"] == "agent-too-old", t
assert t["error"] == ('the agent (xenchannel-agent 0.1.0) cannot take a NoCloud seed (no "nocloud" '
                      'capability): update xenchannel-guest in the guest'), t
PY

pass "NoCloud seed written with cloud-init's modes, idempotent, read by Debian's cloud-init; bad seeds refused with file:line:column"
