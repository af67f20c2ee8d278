#!/usr/bin/env bash
# e2e-cli-agent-command: `xenchannel agent-command` sends one request to the
# guest's agent and prints its reply (exit 0), an agent error reply exits 1,
# no agent answering or no such domain/channel exits 2 with a clear message;
# `agent-shell` says so when no agent answers instead of hanging.
source "$SRC_DIR/tests/e2e/agent/common.sh"
source "$SRC_DIR/tests/e2e/toolstack/common.sh"
agent_setup

# no agent yet: the handshake times out, said plainly
rc=0
out=$("$XENCHANNEL" agent-command --timeout 1 "$DOM" ping 2>&1) || rc=$?
[ $rc -eq 2 ] || fail "agent-command without an agent exited $rc: $out"
[[ $out == *"no agent answered"*"is xenchannel-agent running in the guest?"* ]] ||
	fail "agent-command without an agent: $out"
rc=0
out=$(echo ping | "$XENCHANNEL" agent-shell --timeout 1 "$DOM" 2>&1) || rc=$?
[ $rc -eq 1 ] || fail "agent-shell without an agent exited $rc: $out"
[[ $out == *"no agent answered within 1 s"* ]] || fail "agent-shell without an agent: $out"
echo "ok: no agent: agent-command exit 2, agent-shell exit 1, both say so"

agent_start
"$XENCHANNEL" agent-command --timeout 30 "$DOM" ping >"$E2E_TMP/ping.json" ||
	fail "agent-command ping: $(cat "$E2E_TMP/ping.json")"
python3 - "$E2E_TMP/ping.json" <<'PY' || fail "ping reply: $(cat "$E2E_TMP/ping.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ok"] is True and isinstance(r["id"], int), r
PY
"$XENCHANNEL" agent-command --timeout 30 "$DOM" '{"op": "status"}' >"$E2E_TMP/status.json" ||
	fail "agent-command status"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["ok"] and "result" in r, r' \
	"$E2E_TMP/status.json" || fail "status reply: $(cat "$E2E_TMP/status.json")"
# through the socket path, as agent-shell takes it
"$XENCHANNEL" agent-command "$SOCK" ping >/dev/null || fail "agent-command SOCKET ping"
# an error reply from the agent: exit 1, the reply printed all the same
rc=0
"$XENCHANNEL" agent-command "$DOM" '{"op": "no-such-op"}' >"$E2E_TMP/err.json" || rc=$?
[ $rc -eq 1 ] || fail "an agent error reply exited $rc"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["ok"] is False and r["error"]["code"] == "unsupported", r' \
	"$E2E_TMP/err.json" || fail "error reply: $(cat "$E2E_TMP/err.json")"
echo "ok: replies printed; exit 0 for ok, 1 for the agent's error"

expect_fail 2 "not a JSON object|JSON:1:" "$XENCHANNEL" agent-command "$DOM" '{"op": '
expect_fail 2 "must be a JSON object" "$XENCHANNEL" agent-command "$DOM" '[1]'
expect_fail 2 "usage: xenchannel agent-command" "$XENCHANNEL" agent-command "$DOM"
expect_fail 2 "no domain with that id or name" "$XENCHANNEL" agent-command no-such-vm ping
expect_fail 2 "no channel named org.example.none.0" "$XENCHANNEL" agent-command --name org.example.none.0 "$DOM" ping
expect_fail 2 "connect .*: No such file or directory" "$XENCHANNEL" agent-command "$E2E_TMP/none.sock" ping
pass "agent-command"
