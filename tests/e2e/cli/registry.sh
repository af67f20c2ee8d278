#!/usr/bin/env bash
# e2e-cli-registry: the channel registry is found without any override by
# the binary in the build tree (its data/ copy) and by a relocated install
# (datadir relative to the binary); attach refuses a name that differs only
# in case from a registered one; a missing registry is an error naming the
# paths tried, for attach too (it used to be skipped silently).
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/toolstack/common.sh"
unset XENCHANNEL_REGISTRY

out=$("$XENCHANNEL" registry --json) || fail "registry from the build tree: $out"
python3 - "$out" "$BUILD_DIR" <<'PY' || fail "registry --json from the build tree: $out"
import json, os, sys
r = json.loads(sys.argv[1])
assert os.path.samefile(r["registry"], os.path.join(sys.argv[2], "data", "channel-registry")), r["registry"]
assert "org.xenchannel.agent.0" in [e["name"] for e in r["entries"]], r
PY
"$XENCHANNEL" registry check org.xenchannel.agent.0 | grep -q "valid, registered" ||
	fail "registry check from the build tree"
expect_fail 1 "differs only in case from the registered name .org.xenchannel.agent.0." \
	"$XENCHANNEL" registry check org.XenChannel.agent.0

# a relocated install (a DESTDIR): prefix, sbindir and datadir as configured,
# under another root
read -r prefix sbindir datadir < <(meson introspect "$BUILD_DIR" --buildoptions | python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print(o["prefix"], o["sbindir"], o["datadir"])')
if [[ $sbindir != /* && $datadir != /* ]]; then
	I=$E2E_TMP/inst$prefix
	mkdir -p "$I/$sbindir" "$I/$datadir/xenchannel"
	cp "$XENCHANNEL" "$I/$sbindir/xenchannel"
	expect_fail 1 "cannot open the channel registry: no such file \(tried .*$I/$datadir/xenchannel/channel-registry" \
		"$I/$sbindir/xenchannel" registry
	cp "$SRC_DIR/data/channel-registry" "$I/$datadir/xenchannel/"
	"$I/$sbindir/xenchannel" registry | grep -q "^org.xenchannel.agent.0 " ||
		fail "a relocated install does not find its registry"
	echo "ok: a relocated install finds $datadir/xenchannel/channel-registry beside its $sbindir"
fi

# attach: a case-only clash refused, a missing registry an error; nothing written
sim_start
DOM=$("$XENSIM" create --name r1) || fail "xensim create"
expect_fail 1 "name .org.XenChannel.agent.0. differs only in case from the registered name" \
	"$XENCHANNEL" attach "$DOM" "name=org.XenChannel.agent.0,connection=pty"
expect_fail 1 "$E2E_TMP/none: cannot open the channel registry: no such file \(tried $E2E_TMP/none\)" \
	env XENCHANNEL_REGISTRY="$E2E_TMP/none" "$XENCHANNEL" attach "$DOM" "name=org.example.fine.0,connection=pty"
! xenstore-ls "/local/domain/$DOM/device/console" 2>/dev/null | grep -q . ||
	fail "a refused attach wrote to xenstore: $(xenstore-ls "/local/domain/$DOM/device/console")"
# (no daemon here: the registry check is all this is about)
"$XENCHANNEL" attach --no-wait "$DOM" "name=org.xenchannel.agent.0,connection=pty" >/dev/null ||
	fail "attach of the registered name itself"
pass "registry found from the build tree and a relocated install; clash and missing registry refused"
