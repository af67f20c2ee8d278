#!/usr/bin/env bash
# e2e-follow-domains: xenchanneld follows declared domains.
#  - `xensim create` of a domain whose name declares channels: they are
#    attached at their declared devids, reach Connected, and the guest's udev
#    links them under /dev/xen-channel;
#  - editing the declaration by hand adds, removes and changes channels live
#    (close handshake, socket gone); a broken edit keeps what was declared;
#  - a restarted daemon adopts them and still knows they are declared;
#  - `xensim destroy`: no socket, no descriptor and nothing in xenstore left:
#    the tree equals the one before the domain existed (the first domain of a
#    fresh host leaves only the empty parents every toolstack creates);
#  - the domain created again gets the same devids.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/daemon/daemon-lib.sh"
export XENCHANNEL_DOMAINS_DIR="$E2E_TMP/domains"
D=$XENCHANNEL_DOMAINS_DIR
A=org.xenchannel.agent.0 P=org.example.debug.0 C=org.example.extra.0

sim_start
sd=$(sockdir)
"$XENCHANNEL" define web1 "name=$A,connection=socket,path=$sd/a.sock" \
	"name=$P,connection=pty" >/dev/null || fail "define"
daemon_start
fds() { ls "/proc/$DAEMON_PID/fd" | wc -l; }
fd0=$(fds)
tree() { xenstore-ls -f / | sort; }
tree >"$E2E_TMP/tree0"

connected() { # DOMID DEVID...
	local dom=$1 id
	shift
	for id in "$@"; do
		xs_wait "$(be_dir "$dom" "$id")/state" 4 || fail "domain $dom channel $id: backend not Connected"
		xs_wait "$(fe_dir "$dom" "$id")/state" 4 || fail "domain $dom channel $id: frontend not Connected"
	done
}
linked() { # DOMID NAME: the guest's udev linked the channel
	guest_settle "$1"
	[ -c "$XENSIM_RUN_DIR/domains/$1/root/dev/xen-channel/$2" ] || fail "domain $1: no /dev/xen-channel/$2"
}
channels() { "$XENCHANNEL" list "$1" | awk 'NR > 1 { print $3, $4 }'; }

# --- created by someone else: attached, Connected, linked in the guest
dom=$("$XENSIM" create --name web1 2>>"$E2E_TMP/xensim.log") || fail "xensim create"
connected "$dom" 1 2
linked "$dom" "$A"
linked "$dom" "$P"
[ -S "$sd/a.sock" ] || fail "no socket"
[ "$(xenstore-read "$(fe_dir "$dom" 1)/type")" = xenchanneld ] || fail "frontend type"

# --- a hand edit: drop the pty, add a channel with an explicit devid
cat >"$D/web1.cfg" <<CFG
channel = [ "name=$A,connection=socket,path=$sd/a.sock",
            "name=$C,connection=socket,path=$sd/c.sock,devid=5" ]
CFG
connected "$dom" 5
xs_wait "$(be_dir "$dom" 2)/state" "" || fail "the dropped channel's backend directory stays"
guest_settle "$dom"
[ ! -e "$XENSIM_RUN_DIR/domains/$dom/root/dev/xen-channel/$P" ] || fail "dropped channel still linked"
linked "$dom" "$C"
[ "$(channels "$dom")" = $'1 '$A$'\n5 '$C ] || fail "channels after the edit: $(channels "$dom")"

# --- a changed channel is detached and attached again, at its devid once the
# guest has let go of the old device (xenchanneld(8))
sed -i "s|$sd/c.sock|$sd/c2.sock|" "$D/web1.cfg"
wait_for 20 bash -c "[ ! -e '$sd/c.sock' ]" || fail "changed channel: old socket left"
wait_for 20 test -S "$sd/c2.sock" || fail "changed channel: no new socket"
connected "$dom" 5

# --- a broken edit: logged with file:line:col, nothing changes
cp "$D/web1.cfg" "$E2E_TMP/good.cfg"
printf 'channel = [ "name=%s,connection=socket,path=%s/a.sock"\n' "$A" "$sd" >"$D/web1.cfg"
bad() { grep -qF "$D/web1.cfg:2:1: syntax error" "$E2E_TMP/xenchanneld.log"; }
wait_for 10 bad || fail "no file:line:col error logged: $(tail -3 "$E2E_TMP/xenchanneld.log")"
[ "$(channels "$dom")" = $'1 '$A$'\n5 '$C ] || fail "a broken file changed the channels"
cp "$E2E_TMP/good.cfg" "$D/web1.cfg"

# --- restart: adopted, and still known as declared (an undefine detaches)
daemon_stop
daemon_start
grep -q "adopted" "$E2E_TMP/xenchanneld.log" || fail "nothing adopted"
"$XENCHANNEL" undefine web1 "$C"
xs_wait "$(be_dir "$dom" 5)/state" "" || fail "undefine after a restart: channel stays"
wait_for 10 bash -c "[ ! -e '$sd/c2.sock' ]" || fail "undefined channel's socket stays"

# --- destroy: nothing left
"$XENSIM" destroy web1 2>>"$E2E_TMP/xensim.log" || fail "xensim destroy"
gone() { ! stats | grep -q "\"domid\":$dom,"; }
wait_for 10 gone || fail "channels of a destroyed domain still served"
wait_for 10 bash -c "[ -z \"\$(ls -A '$sd')\" ]" || fail "sockets left: $(ls "$sd")"
tree >"$E2E_TMP/tree1"
# only empty nodes may differ from the pristine host: parents like /libxl
# and backend/console that the first domain's toolstack created
python3 - "$E2E_TMP/tree0" "$E2E_TMP/tree1" <<'PY' || fail "xenstore after destroy"
import sys
def nodes(f):
    return dict(l.rstrip("\n").split(" = ", 1) for l in open(f))
a, b = nodes(sys.argv[1]), nodes(sys.argv[2])
extra = {k: v for k, v in b.items() if k not in a}
missing = [k for k in a if k not in b]
bad = {k: v for k, v in extra.items() if v != '""' or any(o.startswith(k + "/") for o in extra if o != k and extra[o] != '""')}
changed = {k: (a[k], b[k]) for k in a if k in b and a[k] != b[k]}
if missing or bad or changed:
    sys.exit(f"missing {missing}, left {bad}, changed {changed}")
PY

# --- the domain again: the same devids; destroyed, the tree is exactly as before
tree >"$E2E_TMP/tree2"
dom2=$("$XENSIM" create --name web1 2>>"$E2E_TMP/xensim.log") || fail "xensim create again"
[ "$dom2" != "$dom" ] || fail "a new domain id was expected"
connected "$dom2" 1
[ "$(channels "$dom2")" = "1 $A" ] || fail "devids after the restart of the domain: $(channels "$dom2")"
"$XENCHANNEL" define web1 "name=$P,connection=pty" >/dev/null
connected "$dom2" 2 # the devid it had before it was dropped is free again
"$XENSIM" destroy web1 2>>"$E2E_TMP/xensim.log" || fail "xensim destroy again"
gone2() { ! stats | grep -q "\"domid\":$dom2,"; }
wait_for 10 gone2 || fail "channels of the second domain still served"
tree >"$E2E_TMP/tree3"
diff -u "$E2E_TMP/tree2" "$E2E_TMP/tree3" || fail "xenstore after the second destroy differs"
# the restarted process, idle again, holds what the first one held idle
wait_for 10 bash -c "[ \$(ls /proc/$DAEMON_PID/fd | wc -l) -eq $fd0 ]" ||
	fail "descriptors: $(fds) with no channel left, $fd0 before the first domain"
fd_idle=$(fds)
daemon_alive || fail "xenchanneld died"
pass "declared channels follow web1 through create, edits, a daemon restart, destroy and create again ($fd_idle descriptors idle)"
