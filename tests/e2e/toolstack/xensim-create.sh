#!/usr/bin/env bash
# `xensim create vm.cfg` parses the file with the same parser and attaches
# each channel with the same code as `xenchannel attach`.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/toolstack/common.sh"
[ -x "$XENSIM" ] || skip "xensim not built"

sim_start
cat >"$E2E_TMP/vm.cfg" <<EOC
# a domain with two channels
name = "cfgvm"
memory = 512
channel = [ "name=org.xenchannel.agent.0, connection=socket, path=$E2E_TMP/cfgvm.sock",
            "connection=pty, name=org.example.debug.0" ]
EOC
"$XENCHANNEL" config "$E2E_TMP/vm.cfg" >/dev/null || fail "config rejects vm.cfg"
D=$("$XENSIM" create "$E2E_TMP/vm.cfg") || fail "xensim create vm.cfg"
[ "$(xenstore-read /local/domain/$D/name)" = cfgvm ] || fail "domain name"
"$XENCHANNEL" list --json cfgvm >"$E2E_TMP/l.json"
python3 - "$E2E_TMP/l.json" "$E2E_TMP/cfgvm.sock" <<'PY' || fail "list: $(cat "$E2E_TMP/l.json")"
import json, sys
c = json.load(open(sys.argv[1]))
assert [(x["devid"], x["name"], x["connection"], x["path"], x["type"]) for x in c] == [
    (1, "org.xenchannel.agent.0", "socket", sys.argv[2], "xenchanneld"),
    (2, "org.example.debug.0", "pty", None, "xenchanneld")], c
PY

# An invalid file: the error names file:line:column and no domain is left.
printf 'name = "broken"\nchannel = [ "name=org.example.b.0,connection=socket" ]\n' >"$E2E_TMP/bad.cfg"
expect_fail 1 "bad.cfg:2:[0-9]+: channel\\[0\\]: connection=socket needs path=" "$XENSIM" create "$E2E_TMP/bad.cfg"
! "$XENSIM" list | grep -q broken || fail "a domain was created from an invalid file"
# A channel that cannot be attached undoes the whole domain.
printf 'name = "clash"\nchannel = [ "name=org.example.c.0,connection=socket,path=%s" ]\n' "$E2E_TMP/cfgvm.sock" >"$E2E_TMP/clash.cfg"
expect_fail 1 "path $E2E_TMP/cfgvm.sock is already used" "$XENSIM" create "$E2E_TMP/clash.cfg"
! "$XENSIM" list | grep -q clash || fail "domain left after a failed attach"
pass "xensim create vm.cfg"
