#!/usr/bin/env bash
# e2e-cli-config: `xenchannel config` reads stdin (-), reports every error of
# a file (a syntax error does not hide the channel errors after it), warns
# with FILE:LINE:COL about a key one edit away from an xl key, and with
# --json gives errors and warnings as objects (file, line, column, message).
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/toolstack/common.sh"

cat >"$E2E_TMP/vm.cfg" <<'CFG'
name = "vm1"
channels = [ "name=org.example.a.0,connection=pty" ]
memory = 512 512
channel = [ "name=org.example.b.0,connection=socket,path=rel",
            "connection=pty" ]
vcpu = 2
CFG
rc=0
"$XENCHANNEL" config "$E2E_TMP/vm.cfg" >/dev/null 2>"$E2E_TMP/err" || rc=$?
cat "$E2E_TMP/err"
[ $rc -eq 1 ] || fail "an invalid file exited $rc"
diff -u - "$E2E_TMP/err" <<EOT || fail "every error and the near-miss warnings"
$E2E_TMP/vm.cfg:3:14: syntax error near \`512': expected end of line or ';' after the value
$E2E_TMP/vm.cfg:2:1: warning: unknown key 'channels': did you mean 'channel'? (xl ignores it)
$E2E_TMP/vm.cfg:6:1: warning: unknown key 'vcpu': did you mean 'vcpus'? (xl ignores it)
$E2E_TMP/vm.cfg:4:58: channel[0]: path \`rel' is not absolute (socket paths start with '/')
$E2E_TMP/vm.cfg:5:14: channel[1]: no name= (libxl: channel 1 has no name)
EOT

rc=0
"$XENCHANNEL" config --json - <"$E2E_TMP/vm.cfg" >"$E2E_TMP/out.json" || rc=$?
[ $rc -eq 1 ] || fail "config --json - of an invalid file exited $rc"
python3 - "$E2E_TMP/out.json" <<'PY' || fail "config --json: $(cat "$E2E_TMP/out.json")"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["file"] == "<stdin>" and o["valid"] is False, o
assert [(e["line"], e["column"]) for e in o["errors"]] == [(3, 14), (4, 58), (5, 14)], o["errors"]
assert all(e["file"] == "<stdin>" for e in o["errors"] + o["warnings"]), o
assert o["warnings"][0] == {"file": "<stdin>", "line": 2, "column": 1,
    "message": "unknown key 'channels': did you mean 'channel'? (xl ignores it)"}, o["warnings"]
PY

printf 'name = "vm2"\nchannel = [ "name=org.example.c.0,connection=pty" ]\n' |
	"$XENCHANNEL" config - >"$E2E_TMP/ok.txt" || fail "config - of a valid file"
grep -q "^domain vm2: 1 channel$" "$E2E_TMP/ok.txt" || fail "config -: $(cat "$E2E_TMP/ok.txt")"
printf 'name = "vm2"\nchannel = [ "name=org.example.c.0,connection=pty" ]\n' |
	"$XENCHANNEL" config --json - | python3 -c '
import json, sys
o = json.load(sys.stdin)
assert o["valid"] and o["name"] == "vm2" and o["errors"] == [] and o["channels"][0]["devid"] == 1, o' ||
	fail "config --json - of a valid file"
# a missing registry is an error here too, reported with the file's own errors
rc=0
XENCHANNEL_REGISTRY=$E2E_TMP/none "$XENCHANNEL" config --json "$E2E_TMP/vm.cfg" >"$E2E_TMP/noreg.json" || rc=$?
[ $rc -eq 1 ] || fail "config without its registry exited $rc"
python3 -c '
import json, sys
o = json.load(sys.stdin)
assert o["errors"][0]["message"].startswith("cannot open the channel registry"), o
assert len(o["errors"]) == 4, o' <"$E2E_TMP/noreg.json" || fail "config without its registry"
pass "config: stdin, every error, near-miss keys, --json"
