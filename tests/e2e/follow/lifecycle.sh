#!/usr/bin/env bash
# e2e-follow-lifecycle: when a domain comes and goes, seen from xenstore alone.
#  - a domain created paused (`xensim create -p`, as `xl create -p`) gets its
#    declared channels, and xenchanneld's verdict, before its guest runs: the
#    frontend has not moved when they are there; unpaused, it connects them;
#  - a domain whose name is written only after @introduceDomain is followed
#    once the name is there;
#  - a domain released without its toolstack cleaning up (xenstored's
#    @releaseDomain only): xenchanneld removes every directory and socket of
#    the channels it served, and the tree is what it was before.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/daemon/daemon-lib.sh"
export XENCHANNEL_DOMAINS_DIR="$E2E_TMP/domains"
A=org.xenchannel.agent.0

sim_start
sd=$(sockdir)
"$XENCHANNEL" define web2 "name=$A,connection=socket,path=$sd/web2.sock" >/dev/null || fail "define web2"
"$XENCHANNEL" define late "name=$A,connection=socket,path=$sd/late.sock" \
	"name=org.example.debug.0,connection=pty" >/dev/null || fail "define late"
daemon_start

# --- paused: the channel and its verdict come before the guest runs
dom=$("$XENSIM" create -p --name web2 2>>"$E2E_TMP/xensim.log") || fail "xensim create -p"
xs_wait "$(be_dir "$dom" 1)/hotplug-status" connected || fail "no verdict while paused"
[ "$(xenstore-read "$(be_dir "$dom" 1)/state")" = 2 ] || fail "backend not in InitWait while paused"
[ "$(xenstore-read "$(fe_dir "$dom" 1)/state")" = 1 ] || fail "the frontend moved while paused"
"$XENSIM" list | grep -q "^web2 .* paused" || fail "web2 is not paused: $("$XENSIM" list)"
"$XENSIM" unpause web2 || fail "xensim unpause"
xs_wait "$(fe_dir "$dom" 1)/state" 4 || fail "frontend not Connected after unpause"
xs_wait "$(be_dir "$dom" 1)/state" 4 || fail "backend not Connected after unpause"
guest_settle "$dom"
[ -c "$XENSIM_RUN_DIR/domains/$dom/root/dev/xen-channel/$A" ] || fail "no link in the guest"
"$XENSIM" destroy web2 2>>"$E2E_TMP/xensim.log" || fail "destroy web2"
wait_for 10 bash -c "[ ! -e '$sd/web2.sock' ]" || fail "socket of web2 left"

# --- a name written after @introduceDomain; the domain released by
# xenstored alone (libxenstore's xs_introduce_domain / xs_release_domain)
xs() { # xs introduce|release DOMID
	python3 - "$@" <<'PY'
import ctypes, sys
x = ctypes.CDLL("libxenstore.so.4")
x.xs_open.restype = ctypes.c_void_p
h = x.xs_open(0)
d = int(sys.argv[2])
ok = (x.xs_introduce_domain(ctypes.c_void_p(h), d, ctypes.c_ulong(0), 1) if sys.argv[1] == "introduce"
      else x.xs_release_domain(ctypes.c_void_p(h), d))
sys.exit(0 if ok else 1)
PY
}
tree() { xenstore-ls -f / | sort; }
L=100
xenstore-write "/local/domain/$L/domid" "$L"
tree >"$E2E_TMP/tree0"
xs introduce $L || fail "introduce $L"
noname() { grep -q "domain $L has no name yet" "$E2E_TMP/xenchanneld.log"; }
wait_for 10 noname || fail "the introduced domain was not seen"
xenstore-exists "$(be_dir $L 1)" && fail "attached before the domain had a name"
xenstore-write "/local/domain/$L/name" late
xs_wait "$(be_dir $L 1)/hotplug-status" connected || fail "channel 1 of a late-named domain"
xs_wait "$(be_dir $L 2)/hotplug-status" connected || fail "channel 2 of a late-named domain"
[ -S "$sd/late.sock" ] || fail "no socket for the late-named domain"
xenstore-rm "/local/domain/$L/name"
xs release $L || fail "release $L"
wait_for 10 bash -c "[ ! -e '$sd/late.sock' ]" || fail "socket of a released domain left"
xs_wait "$(be_dir $L 1)/state" "" || fail "backend directory of a released domain left"
grep -q "domain $L (late) is gone" "$E2E_TMP/xenchanneld.log" || fail "release not logged"
tree >"$E2E_TMP/tree1"
diff -u "$E2E_TMP/tree0" "$E2E_TMP/tree1" || fail "xenstore after the release"
xenstore-rm "/local/domain/$L"
daemon_alive || fail "xenchanneld died"
pass "channels before a paused guest runs, a name after @introduceDomain, cleanup on @releaseDomain alone"
