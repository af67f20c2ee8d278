#!/bin/bash
# e2e-guest-devid: Linux's devid parsing, modelled rather than fixed. The
# devid is the last character of the node name: device/console/10 reads as
# devid 0 and is never probed (it stays in state 1); device/console/11 reads
# as devid 1, probes, gets its own tty, and that tty uses console-1's ring for
# as long as console-1 exists.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/guest/guest-lib.sh"

guest_start g1
mkchan 1 org.example.devid.1
mkchan 10 org.example.devid.10
mkchan 11 org.example.devid.11
settle

[ "$(status_field console-1 hvc)" = hvc1 ] || fail "console-1 is not hvc1: $(fe status)"
[ "$(status_field console-10 bound)" = 0 ] || fail "console-10 was probed"
[ "$(status_field console-10 hvc)" = - ] || fail "console-10 got a tty"
[ "$(xenstore-read "/local/domain/$DOM/device/console/10/state")" = 1 ] ||
	fail "console-10 left state 1"
[ -z "$(link_of org.example.devid.10)" ] || fail "console-10 got a link"
[ "$(status_field console-11 devid)" = 1 ] || fail "console-11 does not read as devid 1"
[ "$(status_field console-11 hvc)" = hvc2 ] || fail "console-11 is not hvc2"
[ "$(link_of org.example.devid.11)" = ../hvc2 ] || fail "console-11 not linked to its tty"
grep -q "console-11: devid 1 is console-1's too" "$GUEST_LOG" || fail "no warning about the alias"

out_prod_is() { [ "$(status_field "$1" out_prod)" = "$2" ]; }
# console-11's tty writes into console-1's ring
"$XENSIM" exec "$DOM" -- sh -c 'printf abc >"$XENSIM_GUEST_ROOT/dev/hvc2"' || fail "write hvc2"
wait_for 10 out_prod_is console-1 3 || fail "bytes written to hvc2 did not reach console-1's ring"
out_prod_is console-11 0 || fail "console-11's own ring was used while console-1 exists"

# without console-1, console-11 has its own ring to itself
xenstore-rm "/local/domain/$DOM/device/console/1"
xenstore-rm "/local/domain/0/backend/console/$DOM/1"
settle
[ -z "$(status_field console-1 hvc)" ] || fail "console-1 still there"
"$XENSIM" exec "$DOM" -- sh -c 'printf de >"$XENSIM_GUEST_ROOT/dev/hvc2"' || fail "write hvc2"
wait_for 10 out_prod_is console-11 2 || fail "console-11 does not use its own ring after console-1 left"
pass "devid 10 is never probed, devid 11 shares devid 1's ring while it exists"
