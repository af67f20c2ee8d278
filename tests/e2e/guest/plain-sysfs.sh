#!/bin/bash
# e2e-guest-plain-sysfs: the guest's sysfs exactly as Linux has it (no
# console-N/tty/hvcK hint), so xen-console-setup must fall back to the
# pv-channel(7) rule "console-N is hvcN". Channels created in devid order, as
# a toolstack does at domain creation, link correctly; a channel re-attached
# later gets a new hvc number from Linux, the rule points at a line that no
# longer exists, and the helper refuses instead of making a link.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/guest/guest-lib.sh"

export XENSIM_GUEST_TTY_SYSFS=0 # inherited by xensim's guest processes
guest_start g1

for i in 1 2 3; do
	"$XENCHANNEL" attach "$DOM" "name=org.example.plain.$i,connection=pty" >"$E2E_TMP/op.log" 2>&1 ||
		fail "attach $i: $(cat "$E2E_TMP/op.log")"
done
settle
[ ! -e "$ROOT/sys/devices/console-1/tty" ] || fail "the simulator wrote the tty hint anyway"
for i in 1 2 3; do
	[ "$(status_field "console-$i" hvc)" = "hvc$i" ] || fail "console-$i is not hvc$i"
	[ "$(link_of "org.example.plain.$i")" = "../hvc$i" ] || fail "org.example.plain.$i not linked to hvc$i"
done

"$XENCHANNEL" detach "$DOM" org.example.plain.2 >"$E2E_TMP/op.log" 2>&1 || fail "detach"
settle
[ -z "$(link_of org.example.plain.2)" ] || fail "link of a detached channel stays"
"$XENCHANNEL" attach "$DOM" "name=org.example.plain.2,connection=pty" >"$E2E_TMP/op.log" 2>&1 ||
	fail "re-attach: $(cat "$E2E_TMP/op.log")"
settle
[ "$(status_field console-2 hvc)" = hvc4 ] || fail "Linux's counter should give hvc4"
[ -z "$(link_of org.example.plain.2)" ] || fail "linked to $(link_of org.example.plain.2) by the devid rule"
grep -q "console-2: tty /dev/hvc2 for channel 'org.example.plain.2' is missing" "$GUEST_LOG" ||
	fail "no clear refusal in the log"

# Channels in the domain's configuration exist before its kernel runs: they
# are probed in devid order at boot and link by devid.
printf '%s\n' 'name = "g2"' \
	'channel = [ "name=org.example.boot.1, connection=pty",' \
	'            "name=org.example.boot.2, connection=pty",' \
	'            "name=org.example.boot.3, connection=pty" ]' >"$E2E_TMP/g2.cfg"
DOM=$("$XENSIM" create "$E2E_TMP/g2.cfg") || fail "xensim create g2.cfg"
ROOT="$XENSIM_RUN_DIR/domains/$DOM/root"
FSOCK="$XENSIM_RUN_DIR/domains/$DOM/frontend.sock"
wait_for 10 test -S "$FSOCK" || fail "no frontend.sock for domain $DOM"
settle
for i in 1 2 3; do
	[ "$(status_field "console-$i" hvc)" = "hvc$i" ] || fail "boot channel console-$i is not hvc$i"
	[ "$(link_of "org.example.boot.$i")" = "../hvc$i" ] || fail "org.example.boot.$i not linked"
done
pass "without the simulator's hint: boot-order channels link by devid, a re-attached one is refused"
