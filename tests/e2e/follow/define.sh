#!/usr/bin/env bash
# e2e-follow-define: `xenchannel define / undefine / list --defined` keep one
# xl-syntax file per domain name in $XENCHANNEL_DOMAINS_DIR. Specs are checked
# as attach checks them; devids are stable (written into the file, never 0,
# a redefined channel keeps its own); a hand-written file is read with the xl
# parser and its errors name file, line and column; writes are atomic.
source "$SRC_DIR/tests/e2e/lib.sh"
export XENCHANNEL_DOMAINS_DIR="$E2E_TMP/domains"
export XENSTORED_PATH="$E2E_TMP/no-xenstore" # list --defined works without one
D=$XENCHANNEL_DOMAINS_DIR
xc() { "$XENCHANNEL" "$@"; }
must_fail() { # must_fail WANTED-STDERR-LINE CMD...
	local want=$1 rc=0
	shift
	"$@" >"$E2E_TMP/out" 2>"$E2E_TMP/err" || rc=$?
	[ $rc -ne 0 ] || fail "$* succeeded"
	grep -qF -- "$want" "$E2E_TMP/err" || fail "$*: stderr '$(cat "$E2E_TMP/err")', wanted '$want'"
}

# --- define: devids 1, 2 in order, printed one per spec; the directory is created
[ "$(xc define web1 "name=org.xenchannel.agent.0,connection=socket,path=/run/xc/web1.sock" \
	"name=org.example.debug.0,connection=pty")" = $'1\n2' ] || fail "first define"
[ "$(stat -c %a "$D/web1.cfg")" = 644 ] || fail "file mode"
cat >"$E2E_TMP/want" <<'CFG'
# Channels of domain web1: xenchanneld attaches them whenever a domain of
# that name runs. xl syntax (xl.cfg(5) channel=), plus devid= (1-9).
# Written by xenchannel define; see xenchannel(8).
channel = [
    "name=org.xenchannel.agent.0,connection=socket,path=/run/xc/web1.sock,devid=1",
    "name=org.example.debug.0,connection=pty,devid=2",
]
CFG
diff -u "$E2E_TMP/want" "$D/web1.cfg" || fail "the file define wrote"
# the file is a valid xl config fragment for `xenchannel config` too (its channels)
{ echo 'name = "web1"'; cat "$D/web1.cfg"; } | xc config - >"$E2E_TMP/out" 2>&1 ||
	fail "config of a declaration: $(cat "$E2E_TMP/out")"
grep -q "unknown channel parameter 'devid'" "$E2E_TMP/out" ||
	fail "xl (and config) should see devid= as an unknown channel key, nothing worse"

# --- redefining a channel keeps its devid; a new one gets the lowest free
xc undefine web1 org.xenchannel.agent.0
[ "$(xc define web1 "name=org.example.b.0,connection=pty")" = 1 ] || fail "lowest free devid"
[ "$(xc define web1 "name=org.example.debug.0,connection=socket,path=/run/xc/d.sock")" = 2 ] ||
	fail "a redefined channel keeps its devid"
[ "$(xc define web1 "name=org.example.c.0,connection=pty,devid=7")" = 7 ] || fail "devid= given"
xc list --defined >"$E2E_TMP/list"
diff -u - "$E2E_TMP/list" <<'EOT' || fail "list --defined"
DOMAIN           DOMID DEVID NAME                             CONN   PATH
web1                 -     2 org.example.debug.0              socket /run/xc/d.sock
web1                 -     1 org.example.b.0                  pty    -
web1                 -     7 org.example.c.0                  pty    -
EOT
xc list --defined --json web1 | python3 -c '
import json, sys
v = json.load(sys.stdin)
assert [(c["domain"], c["devid"], c["name"], c["domid"]) for c in v] == [
    ("web1", 2, "org.example.debug.0", None), ("web1", 1, "org.example.b.0", None),
    ("web1", 7, "org.example.c.0", None)], v' || fail "list --defined --json"

# --- refused, file untouched
cp "$D/web1.cfg" "$E2E_TMP/saved"
must_fail "devid 7 is already declared for channel org.example.c.0" \
	xc define web1 "name=org.example.e.0,connection=pty,devid=7"
must_fail "devid \`0' is not one of 1-9" xc define web1 "name=org.example.e.0,connection=pty,devid=0"
must_fail "path /run/xc/d.sock is already declared for channel org.example.debug.0" \
	xc define web1 "name=org.example.e.0,connection=socket,path=/run/xc/d.sock"
must_fail "spec 1:1:6: channel[0]: name \`bad' is not reverse-domain style" xc define web1 "name=bad,connection=pty"
must_fail "differs only in case from the registered name \`org.xenchannel.agent.0'" \
	xc define web1 "name=org.XenChannel.agent.0,connection=pty"
must_fail "path \`rel' is not absolute" xc define web1 "name=org.example.e.0,connection=socket,path=rel"
must_fail "domain name \`a/../etc' has a character" xc define a/../etc "name=org.example.e.0,connection=pty"
must_fail "domain name \`42' has only digits" xc define 42 "name=org.example.e.0,connection=pty"
for n in 4 5 6 8; do xc define web1 "name=org.example.n$n.0,connection=pty" >/dev/null; done
must_fail "domain web1 already declares 7 channels" xc define web1 "name=org.example.x.0,connection=pty"
xc undefine web1 org.example.n8.0
xc define web2 "name=org.example.w.0,connection=socket,path=/run/xc/w2.sock" >/dev/null
must_fail "path /run/xc/w2.sock is already declared for domain web2" \
	xc define web1 "name=org.example.y.0,connection=socket,path=/run/xc/w2.sock"
for n in 4 5 6; do xc undefine web1 org.example.n$n.0; done
diff -u "$E2E_TMP/saved" "$D/web1.cfg" || fail "a refused define changed the file"
[ -z "$(ls -A "$D" | grep -v '^web[12]\.cfg$')" ] || fail "temporary files left: $(ls -A "$D")"

# --- a hand-written file: xl syntax, errors with file:line:col
cat >"$D/db1.cfg" <<'CFG'
# by hand
channel = [ "name=org.example.a.0,connection=pty",
            "name=org.example.b.0,connection=socket,path=/run/xc/db1.sock,devid=1" ]
CFG
# no devid= for the first: index + 1 is taken by the second's, so the lowest free
xc list --defined db1 | awk 'NR > 1 { print $3, $4 }' >"$E2E_TMP/list"
diff -u - "$E2E_TMP/list" <<'EOT' || fail "devids of a hand-written file"
2 org.example.a.0
1 org.example.b.0
EOT
cat >"$D/db1.cfg" <<'CFG'
name = "db2"
channel = [ "name=org.example.a.0,connection=pty,devid=3",
            "name=org.example.b.0,connection=pty,devid=3" ]
memory = 128
CFG
rc=0
xc list --defined db1 >/dev/null 2>"$E2E_TMP/err" || rc=$?
[ $rc -eq 1 ] || fail "list --defined of a bad file exited $rc"
diff -u - "$E2E_TMP/err" <<EOT || fail "errors of a hand-written file"
$D/db1.cfg:4:1: warning: \`memory' is ignored in a declaration (only channel = [ ... ] and name = "db1" are read)
$D/db1.cfg:1:8: name does not match the file: this file declares the channels of domain \`db1'
$D/db1.cfg:3:13: channel[1]: devid 3 is already used by channel[0]
EOT
must_fail "$D/db1.cfg:1:8: name does not match" xc define db1 "name=org.example.c.0,connection=pty"
xc undefine db1 # the way out of a broken file
[ ! -e "$D/db1.cfg" ] || fail "undefine left the file"
must_fail "$D/db1.cfg: domain has no declared channel" xc undefine db1
must_fail "domain web1 declares no channel named \`org.example.zz.0'" xc undefine web1 org.example.zz.0

# --- the last channel undefined removes the file
xc undefine web2 org.example.w.0
[ ! -e "$D/web2.cfg" ] || fail "a declaration without channels stays as a file"
pass "define/undefine/list --defined: stable devids, the checks of attach, hand-written files"
