#!/usr/bin/env bash
# e2e-cli-provision: `xenchannel provision` as an admin meets it: a target
# name longer than any column is printed whole; "no such domain", "no
# channel" and "backend not running" are told apart (text and --json
# error_kind); the last line sums up the guests; the same guest given twice
# (by name and by id) is refused before anything is sent; every problem of
# every document is reported, as JSON objects with file, line and column
# under --json.
source "$SRC_DIR/tests/e2e/agent/common.sh"
source "$SRC_DIR/tests/e2e/toolstack/common.sh"
LONG=provisioned-guest-with-a-name-longer-than-any-column

sim_start
daemon_start
DOM=$("$XENSIM" create --name "$LONG") || fail "xensim create"
SOCK=$E2E_TMP/g.sock
"$XENCHANNEL" attach "$DOM" "name=$AG_NAME,connection=socket,path=$SOCK" >/dev/null || fail "attach"
ROOT=$XENSIM_RUN_DIR/domains/$DOM/root
wait_for 10 test -e "$ROOT/dev/xen-channel/$AG_NAME" || fail "no /dev/xen-channel/$AG_NAME"
agent_start
BARE=$("$XENSIM" create --name bare) || fail "xensim create bare"
"$XENCHANNEL" attach bare "name=org.example.other.0,connection=pty" >/dev/null || fail "attach to bare"

DOC=$E2E_TMP/doc.json
echo '{"generation": 1, "write_files": [{"path": "/etc/motd", "content": "hi\n"}]}' >"$DOC"

rc=0
"$XENCHANNEL" provision --config "$DOC" --timeout 30 "$LONG" bare no-such-vm \
	>"$E2E_TMP/p1.out" 2>"$E2E_TMP/p1.err" || rc=$?
cat "$E2E_TMP/p1.out"
[ $rc -eq 1 ] || fail "provision with two bad targets exited $rc: $(cat "$E2E_TMP/p1.err")"
grep -q "^$LONG  *1 .* ok$" "$E2E_TMP/p1.out" || fail "the long target name is not whole in the table"
grep -q "^bare  .* no channel $AG_NAME on domain bare$" "$E2E_TMP/p1.out" || fail "no 'no channel' for bare"
grep -q "^no-such-vm  .* no such domain$" "$E2E_TMP/p1.out" || fail "no 'no such domain'"
[ "$(tail -n 1 "$E2E_TMP/p1.out")" = "3 guests: 1 applied, 0 unchanged, 2 failed" ] ||
	fail "summary: $(tail -n 1 "$E2E_TMP/p1.out")"
[ "$(cat "$ROOT/etc/motd")" = hi ] || fail "the document was not applied"

"$XENCHANNEL" provision --config "$DOC" "$DOM" >"$E2E_TMP/p2.out" || fail "provision again"
[ "$(tail -n 1 "$E2E_TMP/p2.out")" = "1 guest: 0 applied, 1 unchanged, 0 failed" ] ||
	fail "summary of an unchanged guest: $(tail -n 1 "$E2E_TMP/p2.out")"

# the same guest twice: by name and by id, or by its socket
expect_fail 2 "targets 1 \($LONG\) and 2 \($DOM\) are the same guest, socket $SOCK: give each guest once" \
	"$XENCHANNEL" provision --config "$DOC" "$LONG" "$DOM"
expect_fail 2 "targets 1 \($DOM\) and 2 \($SOCK\) are the same guest" \
	"$XENCHANNEL" provision --config "$DOC" "$DOM" "$SOCK"

# every problem of every document, before anything is sent
echo '{"generation": 0, "hostname": "-x", "users": [{"name": "a b"}]}' >"$E2E_TMP/bad1.json"
printf '{"generation": 1,\n "hostname": }\n' >"$E2E_TMP/bad2.json"
rc=0
"$XENCHANNEL" provision "$DOM=$E2E_TMP/bad1.json" "bare=$E2E_TMP/bad2.json" 2>"$E2E_TMP/bad.err" || rc=$?
[ $rc -eq 2 ] || fail "bad documents exited $rc"
for m in "bad1.json: generation: missing" "bad1.json: hostname: not a host name" \
	"bad1.json: users\[0\].name: missing" "bad2.json:2:14: "; do
	grep -q "$m" "$E2E_TMP/bad.err" || fail "'$m' not reported: $(cat "$E2E_TMP/bad.err")"
done
rc=0
"$XENCHANNEL" provision --json "$DOM=$E2E_TMP/bad1.json" "bare=$E2E_TMP/bad2.json" >"$E2E_TMP/bad.json" || rc=$?
[ $rc -eq 2 ] || fail "bad documents with --json exited $rc"
python3 - "$E2E_TMP/bad.json" "$E2E_TMP" <<'PY' || fail "--json errors: $(cat "$E2E_TMP/bad.json")"
import json, sys
e = json.load(open(sys.argv[1]))["errors"]
d = sys.argv[2]
assert len(e) == 4, e
assert e[0] == {"file": d + "/bad1.json", "message": "generation: missing or not an integer >= 1"}, e[0]
assert e[3]["file"] == d + "/bad2.json" and e[3]["line"] == 2 and e[3]["column"] == 14, e[3]
PY

# the backend gone: told apart from a missing agent
daemon_stop
rc=0
"$XENCHANNEL" provision --json --config "$DOC" "$DOM" bare no-such-vm >"$E2E_TMP/p3.json" || rc=$?
[ $rc -eq 1 ] || fail "provision without a backend exited $rc"
python3 - "$E2E_TMP/p3.json" <<'PY' || fail "error kinds: $(cat "$E2E_TMP/p3.json")"
import json, sys
t = json.load(open(sys.argv[1]))
kinds = [(x["error_kind"], x["error"].split(":")[0]) for x in t]
assert kinds == [("backend-not-running", "backend not running (xenchanneld not serving the channel)"),
                 ("no-channel", "no channel org.xenchannel.agent.0 on domain bare"),
                 ("no-domain", "no such domain")], kinds
PY
pass "provision: whole names, error kinds, summary, duplicates, every document error"
