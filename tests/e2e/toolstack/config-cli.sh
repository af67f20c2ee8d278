#!/usr/bin/env bash
# `xenchannel config` and `xenchannel registry` from the command line: exit
# status, table, JSON equal to the golden corpus output, messages.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/toolstack/common.sh"
[ -x "$XENCHANNEL" ] || skip "xenchannel not built"
C="$SRC_DIR/tests/unit/config/corpus"

"$XENCHANNEL" config "$C/valid/manpage-example.cfg" >"$E2E_TMP/t.txt" || fail "valid file rejected"
diff -u - "$E2E_TMP/t.txt" <<'EOT' || fail "config table"
domain guest5: 2 channels
INDEX DEVID NAME                                     CONNECTION PATH
0     1     org.example.agent.1                      socket     /run/ex/dom5.sock
1     2     org.example.debug.1                      pty        -
EOT
for f in "$C"/valid/*.cfg; do
	"$XENCHANNEL" config --json "$f" >"$E2E_TMP/c.json" 2>/dev/null || fail "config --json $f"
	python3 - "$E2E_TMP/c.json" "${f%.cfg}.json" <<'PY' || fail "config --json $f differs from its golden domain"
import json, sys
got = json.load(open(sys.argv[1]))
want = json.load(open(sys.argv[2]))["domain"]
assert got.pop("valid") is True and got.pop("errors") == [] and got.pop("file"), got
got.pop("warnings")
assert got == want, (got, want)
PY
done
expect_fail 1 "^channel-socket-no-path.cfg:7:85: channel\\[1\\]: connection=socket needs path=$" \
	bash -c "cd '$C/invalid' && '$XENCHANNEL' config channel-socket-no-path.cfg"
expect_fail 1 "spec-whitespace.cfg:5:54: warning: channel\\[2\\]: unknown channel parameter 'colour', ignoring" \
	bash -c "'$XENCHANNEL' config '$C/valid/spec-whitespace.cfg' >/dev/null; exit 1"
expect_fail 2 "usage: xenchannel config \\[--json\\] FILE\\|-" "$XENCHANNEL" config
expect_fail 1 "cannot open: No such file or directory" "$XENCHANNEL" config "$E2E_TMP/none.cfg"

"$XENCHANNEL" registry | grep -q "^org.xenchannel.agent.0 " || fail "registry list"
"$XENCHANNEL" registry check org.xenproject.guest.clipboard.0.1 | grep -q "valid, registered" ||
	fail "registry check of a registered name"
"$XENCHANNEL" registry check org.example.mine.0 | grep -q "valid, not registered" ||
	fail "registry check of an unregistered name"
expect_fail 1 "name \`mine' is not reverse-domain style" "$XENCHANNEL" registry check mine
expect_fail 1 "cannot open the channel registry" env XENCHANNEL_REGISTRY="$E2E_TMP/none" "$XENCHANNEL" registry
[ "$("$XENCHANNEL" --version)" = "xenchannel $(sed -n "s/^  version: '\(.*\)',/\1/p" "$SRC_DIR/meson.build")" ] ||
	fail "--version: $("$XENCHANNEL" --version)"
pass "config and registry commands"
