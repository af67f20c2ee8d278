#!/bin/bash
# e2e-guest-plain-sysfs: the guest's sysfs is what Linux 6.1 shows (nothing
# links console-N to its tty), so xen-console-setup infers the hvc line the
# way it must on a real guest. The real-Xen observations replayed: a channel
# hot-added at devid 5 beside devids 1 and 2 gets hvc3; a detached channel's
# slot is reused; after the backend's Closing the device stays (Closed, no
# uevent) but its slot is free, and the next channel takes it and the link;
# channels present at domain creation link in devid order.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/guest/guest-lib.sh"

guest_start g1

for i in 1 2; do
	"$XENCHANNEL" attach --no-wait "$DOM" "name=org.example.plain.$i,connection=pty" >"$E2E_TMP/op.log" 2>&1 ||
		fail "attach $i: $(cat "$E2E_TMP/op.log")"
done
settle
[ -z "$(find "$ROOT/sys" -name 'tty*' -o -name 'hvc*')" ] || fail "sysfs names a tty, Linux's does not"
for i in 1 2; do
	[ "$(status_field "console-$i" hvc)" = "hvc$i" ] || fail "console-$i is not hvc$i"
	[ "$(link_of "org.example.plain.$i")" = "../hvc$i" ] || fail "org.example.plain.$i not linked to hvc$i"
done

# devid 5 beside 1 and 2: the first free slot, hvc3 (devid != index)
mkchan 5 org.example.plain.5
settle
[ "$(status_field console-5 hvc)" = hvc3 ] || fail "console-5 is not hvc3: $(fe status)"
[ "$(link_of org.example.plain.5)" = ../hvc3 ] || fail "org.example.plain.5 -> '$(link_of org.example.plain.5)'"

# detach and attach again: the freed slot is reused
"$XENCHANNEL" detach "$DOM" org.example.plain.2 >"$E2E_TMP/op.log" 2>&1 || fail "detach"
settle
[ -z "$(link_of org.example.plain.2)" ] || fail "link of a detached channel stays"
"$XENCHANNEL" attach --no-wait "$DOM" "name=org.example.plain.2,connection=pty" >"$E2E_TMP/op.log" 2>&1 ||
	fail "re-attach: $(cat "$E2E_TMP/op.log")"
settle
[ "$(status_field console-2 hvc)" = hvc2 ] || fail "re-attached console-2 is not hvc2"
[ "$(link_of org.example.plain.2)" = ../hvc2 ] || fail "org.example.plain.2 -> '$(link_of org.example.plain.2)'"

# backend Closing on console-5: frontend Closed, slot 3 free, device stays, no uevent
xenstore-write "/local/domain/0/backend/console/$DOM/5/state" 5
xs_wait "/local/domain/$DOM/device/console/5/state" 6 || fail "console-5 did not close"
settle
[ "$(cat "$ROOT/sys/devices/console-5/state")" = Closed ] || fail "sysfs state of console-5"
[ "$(status_field console-5 hvc)" = - ] || fail "console-5 kept its hvc line"
# the next channel takes slot 3 and the stale claim of console-5 goes
mkchan 6 org.example.plain.6
settle
[ "$(status_field console-6 hvc)" = hvc3 ] || fail "console-6 is not hvc3: $(fe status)"
[ "$(link_of org.example.plain.6)" = ../hvc3 ] || fail "org.example.plain.6 -> '$(link_of org.example.plain.6)'"
[ -z "$(link_of org.example.plain.5)" ] || fail "the Closed console-5 still has a link"

# Channels in the domain's configuration exist before its kernel runs: they
# are probed in devid order and take hvc1..hvc3.
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
pass "Linux's sysfs: hot-add into a hole, slot reuse, Closed slot taken over, boot order all link right"
