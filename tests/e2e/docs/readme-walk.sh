#!/usr/bin/env bash
# README.md's simulator commands, run literally, so README and reality cannot
# drift. Every code block that follows a "<!-- walked: ... -->" comment is
# run line by line in one bash, from a scratch directory where `build` is the
# build under test, with XENSIM_RUN_DIR and TMPDIR private to this test (so
# `mktemp -d` and the default run directory land in it). Each line must exit
# 0; a line ending in "# prints TEXT" must print exactly TEXT on stdout.
source "$SRC_DIR/tests/e2e/lib.sh"
command -v xenstore-ls >/dev/null || skip "xenstore-utils not installed"
[ "$(id -u)" = 0 ] || skip "README's channel commands are run as root"
CWD=$E2E_TMP/cwd
mkdir -p "$CWD" "$E2E_TMP/tmp"
ln -s "$BUILD_DIR" "$CWD/build"
OUT=$E2E_TMP/walk
mkdir -p "$OUT"

# README -> one script: each line verbatim between two lines of checking.
python3 - "$SRC_DIR/README.md" "$OUT" >"$E2E_TMP/walk.sh" <<'PY' || fail "README.md: no walked block"
import re, shlex, sys
lines, out = open(sys.argv[1]).read().splitlines(), sys.argv[2]
n, blocks, i = 0, 0, 0
print("exec 3>&1 4>&2")
while i < len(lines):
    if not lines[i].startswith("<!-- walked"):
        i += 1
        continue
    blocks += 1
    i += 1
    while i < len(lines) and lines[i].startswith("    "):
        cmd = lines[i][4:]
        n += 1
        m = re.search(r"#\s*prints\s+(.*?)\s*$", cmd)
        want = m.group(1) if m else ""
        print(f'exec >{out}/{n}.out 2>{out}/{n}.err')
        print(cmd)
        print(f'walk_check $? {n} {shlex.quote(cmd)} {int(bool(m))} {shlex.quote(want)}')
        i += 1
if not blocks:
    sys.exit(1)
print(f"echo {blocks} blocks, {n} commands >&3")
PY

cat >"$E2E_TMP/check.sh" <<'SH'
walk_check() { # STATUS N COMMAND HAS_PRINTS WANT
	exec >&3 2>&4
	echo "\$ $3"
	cat "$WALK_OUT/$2.out"
	if [ "$1" != 0 ]; then
		echo "README command failed (status $1): $3" >&2
		cat "$WALK_OUT/$2.err" >&2
		exit 1
	fi
	if [ "$4" = 1 ] && [ "$(cat "$WALK_OUT/$2.out")" != "$5" ]; then
		echo "README says '$3' prints '$5'; it printed '$(cat "$WALK_OUT/$2.out")'" >&2
		exit 1
	fi
}
# Whatever the walk left running (when it failed half way) is stopped.
walk_cleanup() {
	local r p
	exec >&3 2>&4
	for p in $(find "$TMPDIR" -name '*.pid' ! -name xensim.pid -exec cat {} + 2>/dev/null); do
		kill "$p" 2>/dev/null
	done
	for r in $(find "$TMPDIR" -name xensim.pid -printf '%h\n'); do
		XENSIM_RUN_DIR=$r "$WALK_XENSIM" stop >/dev/null 2>&1
	done
}
trap walk_cleanup EXIT
SH
(
	cd "$CWD"
	export TMPDIR=$E2E_TMP/tmp XENSIM_RUN_DIR=$E2E_TMP/tmp/run WALK_OUT=$OUT WALK_XENSIM=$XENSIM
	unset XENSTORED_PATH
	bash -c 'source "$1"; source "$2"' walk "$E2E_TMP/check.sh" "$E2E_TMP/walk.sh"
) >"$E2E_TMP/walk.log" 2>&1 || fail "README walk: $(tail -n 20 "$E2E_TMP/walk.log")"
cat "$E2E_TMP/walk.log"
# What the prose promises of `list`: both channels, by name, on web01.
list=$(grep -nE '^\$ build/src/cli/xenchannel list +(#|$)' "$E2E_TMP/walk.log" | head -1 | cut -d: -f1)
[ -n "$list" ] || fail "the walk has no 'xenchannel list'"
sed -n "$((list + 1)),\$p" "$E2E_TMP/walk.log" | sed '/^\$ /,$d' >"$E2E_TMP/list.out"
for ch in org.xenchannel.agent.0 org.example.debug.0; do
	grep -E "^web01 .*$ch" "$E2E_TMP/list.out" >/dev/null || fail "README's list does not show $ch: $(cat "$E2E_TMP/list.out")"
done
pass "README's commands run as written and print what it says"
