#!/bin/bash
# Debian's xenstore-utils against xensim-xenstored: dom0 operations, watches,
# and a domain socket where permissions are enforced.
source "$SRC_DIR/tests/e2e/lib.sh"

XSD="$BUILD_DIR/src/sim/xenstored/xensim-xenstored"
XSD_TOOL="$BUILD_DIR/tests/unit/sim/xenstored/xsd-tool"
command -v xenstore-read >/dev/null || skip "xenstore-utils not installed"

RUN="$E2E_TMP/run"
"$XSD" --run-dir "$RUN" 2>"$E2E_TMP/xenstored.log" || fail "xensim-xenstored did not start"
XSD_PID=$(cat "$RUN/xenstored/xenstored.pid")
E2E_PIDS+=("$XSD_PID")
export XENSTORED_PATH="$RUN/xenstored/socket"
[ -S "$XENSTORED_PATH" ] || fail "no socket at $XENSTORED_PATH after start"

expect_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"; }

# --- dom0: the initial tree and the basic tools
expect_eq "$(xenstore-read /local/domain/0/name)" "Domain-0" "dom0 name"
expect_eq "$(xenstore-read name)" "Domain-0" "relative path on the socket"
xenstore-write /vm/test/a 1 /vm/test/b "two words"
expect_eq "$(xenstore-read /vm/test/b)" "two words" "read after write"
expect_eq "$(xenstore-list /vm/test | tr '\n' ' ')" "a b " "list order"
expect_eq "$(xenstore-ls /vm)" $'test = ""\n a = "1"\n b = "two words"' "ls"
xenstore-exists /vm/test/a || fail "exists on a node"
if xenstore-exists /vm/test/nope; then fail "exists on a missing node"; fi
xenstore-rm /vm/test/a
if xenstore-exists /vm/test/a; then fail "rm left the node"; fi
xenstore-chmod /vm/test n0 r3
expect_eq "$(xenstore-ls -p /vm | head -1 | sed 's/.*(//')" "n0,r3)" "chmod"
if xenstore-read /no/such/node 2>/dev/null; then fail "read of a missing node"; fi

# --- watches, synchronised on the events themselves
mkfifo "$E2E_TMP/watch.fifo"
xenstore-watch /w >"$E2E_TMP/watch.fifo" 2>"$E2E_TMP/watch.log" &
WATCH_PID=$!
E2E_PIDS+=("$WATCH_PID")
exec 3<"$E2E_TMP/watch.fifo"
read_event() { read -r -t 10 line <&3 || fail "no watch event (waited 10 s)"; echo "$line"; }
expect_eq "$(read_event)" "/w" "initial watch event"
xenstore-write /w/sub/key v
expect_eq "$(read_event)" "/w/sub/key" "event below the watch"
xenstore-write /unrelated x
xenstore-rm /w
expect_eq "$(read_event)" "/w" "event for the removed node, nothing for /unrelated"
kill "$WATCH_PID"

# --- a domain: introduced through libxenstore, then seen as domain 5
"$XSD_TOOL" introduce 5 || fail "introduce"
GSOCK="$RUN/domains/5/xenstored.sock"
[ -S "$GSOCK" ] || fail "no domain socket $GSOCK after XS_INTRODUCE"
xenstore-write /local/domain/5/name guest5 /local/domain/5/data ""
xenstore-chmod /local/domain/5 n0 r5
xenstore-chmod /local/domain/5/name n0 r5
xenstore-chmod /local/domain/5/data n5
guest() { XENSTORED_PATH="$GSOCK" "$@"; }
expect_eq "$(guest xenstore-read name)" "guest5" "guest reads its name"
if guest xenstore-read /local/domain/0/name 2>"$E2E_TMP/err"; then fail "guest read dom0's name"; fi
if guest xenstore-write name evil 2>/dev/null; then fail "guest overwrote a read-only key"; fi
expect_eq "$(xenstore-read /local/domain/5/name)" "guest5" "name unchanged"
guest xenstore-ls /local/domain/0 >/dev/null 2>"$E2E_TMP/err" && fail "guest listed dom0's home"
grep -q "Permission denied" "$E2E_TMP/err" || fail "denial not reported as EACCES: $(cat "$E2E_TMP/err")"
guest xenstore-write data/x 1 || fail "guest write in its own dir"
expect_eq "$(xenstore-ls -p /local/domain/5/data | sed 's/.*(//')" "n5)" "guest owns what it creates"
guest xenstore-chmod data/x n0 2>/dev/null && fail "guest gave its node away"
guest xenstore-chmod data/x n5 r0 || fail "guest grants read on its node"
if guest xenstore-exists /local/domain/0/name; then fail "exists through a denial"; fi

# release: the socket goes, the guest's own nodes go (4.17), @releaseDomain fires
exec 4< <(exec xenstore-watch @releaseDomain 2>/dev/null)
RWATCH_PID=$!
E2E_PIDS+=("$RWATCH_PID")
read -r -t 10 line <&4 || fail "no initial @releaseDomain event"
expect_eq "$line" "@releaseDomain" "initial special event"
"$XSD_TOOL" release 5 || fail "release"
read -r -t 10 line <&4 || fail "no @releaseDomain event on release"
expect_eq "$line" "@releaseDomain" "release event"
[ ! -e "$GSOCK" ] || fail "domain socket still there after release"
if xenstore-exists /local/domain/5/data/x; then fail "released domain's node kept"; fi
expect_eq "$(xenstore-read /local/domain/5/name)" "guest5" "dom0's node kept"

# the daemon survives all of it and stops on SIGTERM, removing its socket
# (watchers go first: Debian's xenstore-watch spins when its daemon vanishes)
kill "$RWATCH_PID"
kill "$XSD_PID"
timeout 10 tail --pid="$XSD_PID" -f /dev/null || fail "xenstored did not exit on SIGTERM"
[ ! -e "$XENSTORED_PATH" ] || fail "socket left after SIGTERM"
pass "xenstore-utils interop"
