#!/usr/bin/env bash
# The policy example of xenchannel-agent(8), as a reader sees it (rendered by
# groff), is valid JSON and the agent accepts it (--check) with the meaning
# the page gives it.
source "$SRC_DIR/tests/e2e/lib.sh"
command -v groff >/dev/null || skip "groff not installed"
groff -man -Tascii -P-cbou -rLL=200n "$SRC_DIR/docs/man/xenchannel-agent.8" >"$E2E_TMP/page.txt" 2>"$E2E_TMP/groff.err" ||
	fail "groff: $(cat "$E2E_TMP/groff.err")"
mkdir -p "$E2E_TMP/root/etc/xenchannel"
# The first JSON object of the POLICY section (from a line opening with "{"
# to the line where the braces balance).
python3 - "$E2E_TMP/page.txt" >"$E2E_TMP/root/etc/xenchannel/agent-policy.json" <<'PY' || fail "no valid JSON policy example in the POLICY section"
import json, sys
text = open(sys.argv[1]).read()
sec = text.split("\nPOLICY\n", 1)[1].split("\n\n", 1)[1]
lines, depth, out = sec.splitlines(), 0, []
for line in lines:
    if not out and not line.strip().startswith("{"):
        continue
    out.append(line)
    depth += line.count("{") - line.count("}")
    if depth == 0:
        break
json.dump(json.loads("\n".join(out)), sys.stdout)
PY
"$XENCHANNEL_AGENT" --root "$E2E_TMP/root" --check 2>"$E2E_TMP/check.log" ||
	fail "the agent rejects the man page's policy: $(cat "$E2E_TMP/check.log")"
grep -q "loaded (allow hostname users write_files; write_files_paths /etc/motd /srv/)" "$E2E_TMP/check.log" ||
	fail "the example does not mean what the page says: $(cat "$E2E_TMP/check.log")"
# and --check does reject a bad one, with the file and the reason
echo '{"allow": ["hostname"], "write_files_path": []}' >"$E2E_TMP/root/etc/xenchannel/agent-policy.json"
"$XENCHANNEL_AGENT" --root "$E2E_TMP/root" --check 2>"$E2E_TMP/bad.log" && fail "--check accepted an unknown key"
grep -q "agent-policy.json: unknown key write_files_path" "$E2E_TMP/bad.log" || fail "--check: $(cat "$E2E_TMP/bad.log")"
pass "xenchannel-agent(8)'s policy example is valid and accepted"
