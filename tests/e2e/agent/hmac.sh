#!/usr/bin/env bash
# Authenticated documents: wrong key, altered document, replayed older
# generation -> refused, and nothing applied.
source "$SRC_DIR/tests/e2e/agent/common.sh"
agent_setup
mkdir -p "$ROOT/etc/xenchannel"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$ROOT/etc/xenchannel/agent.key"
chmod 600 "$ROOT/etc/xenchannel/agent.key"
cp "$ROOT/etc/xenchannel/agent.key" "$E2E_TMP/host.key"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$E2E_TMP/wrong.key"
chmod 600 "$E2E_TMP/host.key" "$E2E_TMP/wrong.key"
agent_start

doc() { # GEN HOSTNAME
	printf '{"generation": %s, "hostname": "%s", "write_files": [{"path": "/etc/gen", "content": "%s"}]}' "$1" "$2" "$1" >"$E2E_TMP/doc$1$2.json"
	echo "$E2E_TMP/doc$1$2.json"
}
nothing_applied() {
	[ ! -e "$ROOT/etc/hostname" ] && [ ! -e "$ROOT/etc/gen" ] || fail "$1: something was applied"
}
refused() { # OUT
	python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))[0]; assert not t["ok"] and "refused" in t["error"], t' "$1"
}

if provision_json "$E2E_TMP/n.json" "$DOM" --config "$(doc 1 a)" --timeout 20; then
	fail "an unsigned document was accepted"
fi
refused "$E2E_TMP/n.json" || fail "unsigned: not refused: $(cat "$E2E_TMP/n.json")"
nothing_applied unsigned

if provision_json "$E2E_TMP/w.json" "$DOM" --config "$(doc 1 a)" --key "$E2E_TMP/wrong.key" --timeout 20; then
	fail "a document signed with the wrong key was accepted"
fi
refused "$E2E_TMP/w.json" || fail "wrong key: not refused: $(cat "$E2E_TMP/w.json")"
nothing_applied "wrong key"

# Altered: the HMAC of one document, sent with another.
python3 "$FRAMES" hmac-line "$(doc 1 a)" "$E2E_TMP/host.key" "$(doc 1 altered)" |
	"$XENCHANNEL" agent-shell "$DOM" >"$E2E_TMP/alt.out" || fail "agent-shell"
grep -q '"code": "refused"' "$E2E_TMP/alt.out" || fail "altered: $(cat "$E2E_TMP/alt.out")"
nothing_applied altered

provision_json "$E2E_TMP/g2.json" "$DOM" --config "$(doc 2 b)" --key "$E2E_TMP/host.key" --timeout 20 ||
	fail "a correctly signed document was refused: $(cat "$E2E_TMP/g2.json")"
[ "$(cat "$ROOT/etc/hostname")" = b ] || fail "signed document not applied"

# Replay of an older, correctly signed generation.
if provision_json "$E2E_TMP/r.json" "$DOM" --config "$(doc 1 a)" --key "$E2E_TMP/host.key" --timeout 20; then
	fail "a replayed older generation was accepted"
fi
refused "$E2E_TMP/r.json" || fail "replay: not refused: $(cat "$E2E_TMP/r.json")"
[ "$(cat "$ROOT/etc/hostname")" = b ] && [ "$(cat "$ROOT/etc/gen")" = 2 ] || fail "replay changed the guest"
grep -q "$(cat "$E2E_TMP/host.key")" "$AGENT_LOG" && fail "the key appears in the agent's log"
pass "hmac: unsigned, wrong key, altered, replayed -> refused, nothing applied"
