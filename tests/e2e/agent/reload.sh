#!/usr/bin/env bash
# SIGHUP: the agent reads its policy and key again and says what it loaded and
# from where; an item the policy forbids is reported `refused` with the
# reason; a broken new policy or an unusable key keeps the previous ones, and
# the log names the file and the reason. The agent survives every SIGHUP.
source "$SRC_DIR/tests/e2e/agent/common.sh"
agent_setup
POLICY=$ROOT/etc/xenchannel/agent-policy.json
mkdir -p "$ROOT/etc/xenchannel"
echo '{"allow": ["write_files"]}' >"$POLICY"
agent_start

doc() { # GEN HOSTNAME
	printf '{"generation": %s, "hostname": "%s", "write_files": [{"path": "/etc/gen", "content": "%s"}]}' \
		"$1" "$2" "$1" >"$E2E_TMP/doc$1.json"
	echo "$E2E_TMP/doc$1.json"
}
# reason_of OUT ITEM: "result|reason" of ITEM in a --json output.
reason_of() {
	python3 -c '
import json, sys
for it in json.load(open(sys.argv[1]))[0]["result"]["items"]:
    if it["item"] == sys.argv[2]:
        print(it["result"] + "|" + it.get("reason", ""))' "$1" "$2"
}
hup() { # PATTERN: SIGHUP, then wait for the log line that answers it
	local mark
	mark=$(log_mark "$AGENT_LOG")
	kill -HUP "$AGENT_PID"
	log_wait "$AGENT_LOG" "$mark" "$1" || fail "no log line /$1/ after SIGHUP: $(tail -5 "$AGENT_LOG")"
}

# 1. The policy forbids the host name: refused, with the reason; the rest applies.
if provision_json "$E2E_TMP/p1.json" "$DOM" --config "$(doc 1 one)" --timeout 20; then
	fail "provision reported success with an item refused"
fi
r=$(reason_of "$E2E_TMP/p1.json" hostname)
[ "$r" = "refused|policy does not allow hostname" ] || fail "hostname: '$r', want refused with the policy's reason"
[ "$(reason_of "$E2E_TMP/p1.json" write_files./etc/gen)" = "applied|" ] || fail "write_files: $(cat "$E2E_TMP/p1.json")"
[ ! -e "$ROOT/etc/hostname" ] || fail "a refused hostname was written"
kind=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[0].get("error_kind"))' "$E2E_TMP/p1.json")
[ "$kind" = items-refused ] || fail "error_kind '$kind' for a target whose only problem is a refusal"

# 2. The policy now allows it; SIGHUP; the log says what it loaded from where.
echo '{"allow": ["hostname", "write_files"]}' >"$POLICY"
line=$(hup 'SIGHUP: reloaded')
[[ $line == *"policy /etc/xenchannel/agent-policy.json in root $ROOT: loaded (allow hostname write_files)"* ]] ||
	fail "reload line does not say what was loaded from where: $line"
[[ $line == *"key /etc/xenchannel/agent.key: no file, documents need no HMAC"* ]] || fail "reload line, key: $line"
kill -0 "$AGENT_PID" || fail "the agent died of SIGHUP"
provision_json "$E2E_TMP/p2.json" "$DOM" --config "$(doc 2 two)" --timeout 20 ||
	fail "provision after the reload: $(cat "$E2E_TMP/p2.json" "$E2E_TMP/p2.json.err")"
[ "$(cat "$ROOT/etc/hostname")" = two ] || fail "hostname not applied after the reload"

# 3. A broken policy: the previous one stays, the log names file, line and reason.
printf '{"allow": ["hostname",\n  ]}\n' >"$POLICY"
line=$(hup 'reload failed')
[[ $line == *"keeping the previous policy and key: policy /etc/xenchannel/agent-policy.json:2: "* ]] ||
	fail "failed reload line does not name the file and line: $line"
echo '{"allow": ["hostname"], "colour": "blue"}' >"$POLICY"
line=$(hup 'reload failed')
[[ $line == *"agent-policy.json: unknown key colour"* ]] || fail "unknown key: $line"
kill -0 "$AGENT_PID" || fail "the agent died of a bad policy"
provision_json "$E2E_TMP/p3.json" "$DOM" --config "$(doc 3 three)" --timeout 20 ||
	fail "the previous policy was not kept: $(cat "$E2E_TMP/p3.json")"
[ "$(cat "$ROOT/etc/hostname")" = three ] || fail "hostname under the kept policy"

# 4. An unusable key (world-readable) with a good policy: neither is taken.
echo '{"allow": ["write_files"]}' >"$POLICY"
echo secret >"$ROOT/etc/xenchannel/agent.key"
chmod 644 "$ROOT/etc/xenchannel/agent.key"
line=$(hup 'reload failed')
[[ $line == *"key /etc/xenchannel/agent.key: must be a regular file"*"mode 0600"* ]] || fail "bad key line: $line"
provision_json "$E2E_TMP/p4.json" "$DOM" --config "$(doc 4 four)" --timeout 20 ||
	fail "after a bad key, the previous (no key, hostname allowed) was not kept: $(cat "$E2E_TMP/p4.json")"

# 5. The key made usable: taken with the policy; unsigned documents are refused now.
chmod 600 "$ROOT/etc/xenchannel/agent.key"
line=$(hup 'SIGHUP: reloaded')
[[ $line == *"key /etc/xenchannel/agent.key: loaded, documents must carry an HMAC"* ]] || fail "key reload: $line"
if provision_json "$E2E_TMP/p5.json" "$DOM" --config "$(doc 5 five)" --timeout 20; then
	fail "an unsigned document was accepted after the key was loaded"
fi
grep -q refused "$E2E_TMP/p5.json" || fail "unsigned after key reload: $(cat "$E2E_TMP/p5.json")"
kill -0 "$AGENT_PID" || fail "agent gone"
pass "SIGHUP reloads policy and key, keeps them on error, logs both; policy refusals are 'refused'"
