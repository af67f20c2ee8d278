#!/usr/bin/env bash
# xensim's command line end to end: start, env, create, list, Debian's
# xenstore tools inside a guest through `xensim exec`, destroy, stop.
source "$SRC_DIR/tests/e2e/lib.sh"
command -v xenstore-ls >/dev/null || skip "xenstore-utils not installed"

# A stand-in guest process that records how it was started and when it
# was told to stop (the real xensim-guest is tested on its own).
OUT="$E2E_TMP/guest"
mkdir -p "$OUT"
cat >"$E2E_TMP/fake-guest" <<'SH'
#!/usr/bin/env bash
out=$FAKE_GUEST_OUT/$XENSIM_DOMID
mkdir -p "$out"
trap 'echo term >"$out/term"; exit 0' TERM
env | grep -E '^(XENSTORED_PATH|XENSIM_RUN_DIR|XENSIM_DOMID|XENSIM_GUEST_ROOT)=' | sort >"$out/env"
echo $$ >"$out/pid"
echo "$*" >"$out/args.tmp" && mv "$out/args.tmp" "$out/args"
sleep infinity &
wait $!
SH
chmod +x "$E2E_TMP/fake-guest"
export XENSIM_GUEST_BIN="$E2E_TMP/fake-guest" FAKE_GUEST_OUT="$OUT"

"$XENSIM" --version | grep -q 'platform: sim' || fail "--version does not name the platform"
"$XENSIM" stop 2>"$E2E_TMP/stop.err" && fail "stop succeeded with nothing running"
grep -q "not running" "$E2E_TMP/stop.err" || fail "stop: unclear error: $(cat "$E2E_TMP/stop.err")"

sim_start
RUN=$XENSIM_RUN_DIR
[ "$XENSTORED_PATH" = "$RUN/xenstored/socket" ] || fail "env: XENSTORED_PATH=$XENSTORED_PATH"
[ -S "$RUN/hypervisor/socket" ] || fail "no hypervisor socket"
[ -S "$RUN/xenstored/socket" ] || fail "no xenstored socket"
pid=$(cat "$RUN/xensim.pid")
kill -0 "$pid" || fail "daemon pid $pid not alive"
"$XENSIM" start 2>"$E2E_TMP/start2.err" && fail "second start succeeded"
grep -q "already running" "$E2E_TMP/start2.err" || fail "second start: $(cat "$E2E_TMP/start2.err")"
[ "$(xenstore-read /local/domain/0/name)" = Domain-0 ] || fail "dom0 name"

# @releaseDomain must fire when the domain goes: watch it from now on
# (xenstore-watch prints the initial event, then exits after the second).
bg release xenstore-watch -n 2 @releaseDomain
release_pid=$LAST_PID

domid=$("$XENSIM" create --name web1)
[ "$domid" = 1 ] || fail "first domain got id '$domid'"
[ "$("$XENSIM" create --name web2)" = 2 ] || fail "second domain id"
"$XENSIM" create --name web1 2>"$E2E_TMP/dup.err" && fail "duplicate name accepted"
grep -q "already exists" "$E2E_TMP/dup.err" || fail "duplicate: $(cat "$E2E_TMP/dup.err")"
"$XENSIM" create --name 'a b' 2>"$E2E_TMP/bad.err" && fail "bad name accepted"
grep -q "invalid domain name" "$E2E_TMP/bad.err" || fail "bad name: $(cat "$E2E_TMP/bad.err")"
"$XENSIM" create "$E2E_TMP/none.cfg" 2>"$E2E_TMP/cfg.err" && fail "config file accepted"
grep -q "none.cfg" "$E2E_TMP/cfg.err" || fail "config: $(cat "$E2E_TMP/cfg.err")"

"$XENSIM" list >"$E2E_TMP/list"
grep -Eq '^Domain-0 +0 +running' "$E2E_TMP/list" || fail "list: $(cat "$E2E_TMP/list")"
grep -Eq '^web1 +1 +running' "$E2E_TMP/list" || fail "list: $(cat "$E2E_TMP/list")"
# the Guest column: dom0 has none, web1's is its xensim-guest process
grep -Eq '^Domain-0 +0 +running +[-0-9a-f]{36} +-$' "$E2E_TMP/list" || fail "list, dom0 guest: $(cat "$E2E_TMP/list")"
wait_for 10 test -s "$OUT/1/args" || fail "web1's guest did not start"
g=$(awk '$1 == "web1" { print $5 }' "$E2E_TMP/list")
[ "$g" = "$(cat "$OUT/1/pid")" ] || fail "list: web1's guest pid '$g' is not its guest's, $(cat "$OUT/1/pid")"

# what the toolstack wrote, read through Debian's tools
[ "$(xenstore-read /local/domain/1/name)" = web1 ] || fail "name"
[ "$(xenstore-read /local/domain/1/domid)" = 1 ] || fail "domid key"
vm=$(xenstore-read /local/domain/1/vm)
[ "$(xenstore-read "$vm/name")" = web1 ] || fail "$vm/name"
[ "$(xenstore-read "$vm/uuid")" = "${vm#/vm/}" ] || fail "$vm/uuid"
[ "$(xenstore-ls -p /local/domain/1 | grep -c '^')" -gt 5 ] || fail "too few keys"
[ "$(xenstore-read /libxl/1/type)" = pv ] || fail "/libxl/1/type"
perms=$(xenstore-ls -p /local/domain | grep '^1 = ""' | grep -o '([^)]*)$')
[ "$perms" = "(n0,r1)" ] || fail "perms of /local/domain/1: '$perms'"
perms=$(xenstore-ls -p /local/domain/1 | grep '^data = ""' | grep -o '([^)]*)$')
[ "$perms" = "(n1)" ] || fail "perms of data: '$perms'"
[ -S "$RUN/domains/1/xenstored.sock" ] || fail "domain 1 has no xenstore socket"
[ -S "$RUN/domains/1/hypervisor.sock" ] || fail "domain 1 has no hypervisor socket"
for d in dev etc run etc/udev/rules.d lib/udev/rules.d; do
	[ -d "$RUN/domains/1/root/$d" ] || fail "guest root lacks $d"
done

# inside the guest: its own socket, relative paths, its permissions
[ "$("$XENSIM" exec 1 -- xenstore-read name)" = web1 ] || fail "exec: xenstore-read name"
"$XENSIM" exec web1 -- xenstore-ls /local/domain/1 >"$E2E_TMP/ls"
grep -q '^name = "web1"' "$E2E_TMP/ls" || fail "exec xenstore-ls: $(cat "$E2E_TMP/ls")"
"$XENSIM" exec 1 -- xenstore-write data/greeting hello || fail "guest cannot write its data/"
[ "$(xenstore-read /local/domain/1/data/greeting)" = hello ] || fail "data/greeting"
"$XENSIM" exec 1 -- xenstore-write name evil 2>/dev/null && fail "guest rewrote its name"
"$XENSIM" exec 1 -- xenstore-read /local/domain/2/name 2>/dev/null && fail "guest read domain 2"
"$XENSIM" exec 1 -- sh -c 'echo "$XENSIM_DOMID $XENSIM_GUEST_ROOT"' >"$E2E_TMP/envx"
[ "$(cat "$E2E_TMP/envx")" = "1 $RUN/domains/1/root" ] || fail "exec env: $(cat "$E2E_TMP/envx")"
"$XENSIM" exec 9 -- true 2>/dev/null && fail "exec in a missing domain"

# the guest process got the contract's arguments and environment
wait_for 10 test -s "$OUT/1/args" || fail "guest process for domain 1 never started"
[ "$(cat "$OUT/1/args")" = "--run-dir $RUN --domid 1" ] || fail "guest args: $(cat "$OUT/1/args")"
cat >"$E2E_TMP/env.want" <<ENV
XENSIM_DOMID=1
XENSIM_GUEST_ROOT=$RUN/domains/1/root
XENSIM_RUN_DIR=$RUN
XENSTORED_PATH=$RUN/domains/1/xenstored.sock
ENV
diff -u "$E2E_TMP/env.want" "$OUT/1/env" || fail "guest environment"

# destroy: guest told to stop (and gone before destroy returns),
# @releaseDomain, xenstore and run-dir state removed
wait_for 10 test -s "$OUT/2/args" || fail "guest process for domain 2 never started"
# a device of domain 2 as libxl records it, served by dom0; and one of domain 1
xenstore-write /local/domain/0/backend/console/2/1/state 1 \
	/libxl/2/device/console/1/backend /local/domain/0/backend/console/2/1 \
	/local/domain/0/backend/vkbd/2/0/state 1 \
	/local/domain/0/backend/console/1/1/state 1
"$XENSIM" destroy web2 || fail "destroy web2"
xenstore-read /local/domain/0/backend/console/2/1/state 2>/dev/null && fail "backend dir left"
xenstore-read /local/domain/0/backend/vkbd/2/0/state 2>/dev/null && fail "vkbd backend left"
[ "$(xenstore-read /local/domain/0/backend/console/1/1/state)" = 1 ] || fail "removed domain 1's backend"
[ -f "$OUT/2/term" ] || fail "guest of domain 2 got no SIGTERM"
wait "$release_pid" || fail "no @releaseDomain event"
xenstore-read /local/domain/2/name 2>/dev/null && fail "/local/domain/2 left behind"
[ -e "$RUN/domains/2" ] && fail "run dir of domain 2 left behind: $(ls -R "$RUN/domains/2")"
"$XENSIM" list | grep -q web2 && fail "web2 still listed"
"$XENSIM" destroy web2 2>"$E2E_TMP/d2.err" && fail "destroyed twice"
grep -q "no domain" "$E2E_TMP/d2.err" || fail "destroy twice: $(cat "$E2E_TMP/d2.err")"
"$XENSIM" destroy 0 2>/dev/null && fail "destroyed dom0"
vm1=$(xenstore-read /local/domain/1/vm)
"$XENSIM" destroy 1 || fail "destroy 1"
xenstore-read "$vm1/name" 2>/dev/null && fail "$vm1 left behind"
xenstore-ls /libxl/1 >/dev/null 2>&1 && fail "/libxl/1 left behind"
# ids are not reused at once, as on Xen
[ "$("$XENSIM" create --name web3)" = 3 ] || fail "third domain id"

# stop: guests stopped, daemon gone, sockets gone
wait_for 10 test -s "$OUT/3/args" || fail "guest process for domain 3 never started"
"$XENSIM" stop || fail "stop"
[ -f "$OUT/3/term" ] || fail "guest of domain 3 got no SIGTERM on stop"
# (an exited daemon may linger as a zombie until its reaper gets to it)
grep -Eq '^State:\s+[^Z]' "/proc/$pid/status" 2>/dev/null && fail "daemon still alive after stop"
[ -e "$RUN/xensim.pid" ] && fail "pid file left behind"
[ -e "$RUN/hypervisor/socket" ] && fail "hypervisor socket left behind"
pass "xensim start/create/list/exec/destroy/stop"
