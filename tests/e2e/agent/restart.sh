#!/usr/bin/env bash
# The agent killed in the middle of an apply, and restarted: the next
# provision converges. The device unplugged and plugged back: the agent
# follows it.
source "$SRC_DIR/tests/e2e/agent/common.sh"
agent_setup
# A deterministic "mid-apply": the second item (users) reads /etc/passwd,
# here a FIFO that nobody opens for writing, so the agent blocks right after
# the first item, whose result its log reports.
mv "$ROOT/etc/passwd" "$E2E_TMP/passwd"
mkfifo "$ROOT/etc/passwd"
agent_start

DOC=$E2E_TMP/doc.json
cat >"$DOC" <<'JSON'
{"generation": 1, "hostname": "half",
 "users": [{"name": "ops", "ssh_authorized_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIRst ops@e2e"]}],
 "write_files": [{"path": "/etc/motd", "content": "converged\n"}]}
JSON
"$XENCHANNEL" provision "$DOM" --config "$DOC" --timeout 60 >"$E2E_TMP/p0.out" 2>&1 &
PROV=$!
E2E_PIDS+=("$PROV")
first_item_done() { grep -q "hostname: applied" "$AGENT_LOG"; }
wait_for 20 first_item_done || fail "agent never reached the stop point"
kill -9 "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null || true
kill "$PROV" 2>/dev/null || true
wait "$PROV" 2>/dev/null || true
rm "$ROOT/etc/passwd"
mv "$E2E_TMP/passwd" "$ROOT/etc/passwd"

[ "$(cat "$ROOT/etc/hostname")" = half ] || fail "first item was not applied before the kill"
[ ! -e "$ROOT/home/ops/.ssh/authorized_keys" ] || fail "second item applied before the kill?"
[ ! -e "$ROOT/etc/motd" ] || fail "third item applied before the kill?"
grep -q '"pending": 1' "$ROOT/var/lib/xenchannel-agent/state.json" ||
	fail "state does not record the interrupted generation: $(cat "$ROOT/var/lib/xenchannel-agent/state.json")"

agent_start
st=$(agent_status)
python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["generation"] == 0 and s["interrupted"] == 1, s' "$st" ||
	fail "status after restart: $st"
provision_json "$E2E_TMP/p1.json" "$DOM" --config "$DOC" --timeout 20 ||
	fail "provision after restart: $(cat "$E2E_TMP/p1.json")"
item_results "$E2E_TMP/p1.json" >"$E2E_TMP/items"
grep -qx "hostname unchanged" "$E2E_TMP/items" || fail "hostname: $(cat "$E2E_TMP/items")"
grep -qx "users.ops applied" "$E2E_TMP/items" || fail "users: $(cat "$E2E_TMP/items")"
grep -qx "write_files./etc/motd applied" "$E2E_TMP/items" || fail "motd: $(cat "$E2E_TMP/items")"
[ "$(cat "$ROOT/etc/motd")" = converged ] || fail "motd content"
st=$(agent_status)
python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["generation"] == 1 and "interrupted" not in s, s' "$st" ||
	fail "status after convergence: $st"

# Unplug and replug the channel: the link goes away and comes back.
"$XENCHANNEL" detach "$DOM" "$AG_NAME" >/dev/null || fail "detach"
wait_for 10 test ! -e "$ROOT/dev/xen-channel/$AG_NAME" || fail "link still there after detach"
# the guest must have dropped the old device before the devid is reused
# (xenchannel(8), detach)
guest_settle "$DOM"
"$XENCHANNEL" attach "$DOM" "name=$AG_NAME,connection=socket,path=$SOCK" >/dev/null || fail "re-attach"
wait_for 10 test -e "$ROOT/dev/xen-channel/$AG_NAME" || fail "no link after re-attach"
sed -i 's/"generation": 1/"generation": 2/; s/converged/replugged/' "$DOC"
provision_json "$E2E_TMP/p2.json" "$DOM" --config "$DOC" --timeout 20 ||
	fail "provision after replug: $(cat "$E2E_TMP/p2.json") $(tail -5 "$AGENT_LOG")"
[ "$(cat "$ROOT/etc/motd")" = replugged ] || fail "motd after replug"
grep -q "device removed\|closed" "$AGENT_LOG" || fail "agent did not notice the unplug"
pass "restart: killed mid-apply converges; unplug/replug followed"
