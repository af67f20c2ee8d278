#!/bin/bash
# e2e-guest-devid: Linux's devid parsing, modelled rather than fixed. The
# devid is the last character of the node name: device/console/10 reads as
# devid 0 and is never probed (it stays in state 1); device/console/11 reads
# as devid 1, probes, and hvc_alloc (Linux 6.1) finds console-1's vterm number
# in its slot table: both get index 1. hvc1 opens console-1's console and
# console-1's ring while console-1 exists; console-11 gets no link. When
# console-1 goes, hvc1 opens console-11's console (its own ring), and the slot
# is free for the next console although console-11 still uses index 1.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/guest/guest-lib.sh"

guest_start g1
mkchan 1 org.example.devid.1
settle # console-1's link first: with both binds at once the pairing is ambiguous, as on Linux
mkchan 10 org.example.devid.10
mkchan 11 org.example.devid.11
settle

[ "$(status_field console-1 hvc)" = hvc1 ] || fail "console-1 is not hvc1: $(fe status)"
[ "$(link_of org.example.devid.1)" = ../hvc1 ] || fail "console-1 not linked to hvc1"
[ "$(status_field console-10 bound)" = 0 ] || fail "console-10 was probed"
[ "$(status_field console-10 hvc)" = - ] || fail "console-10 got a tty"
[ "$(xenstore-read "/local/domain/$DOM/device/console/10/state")" = 1 ] ||
	fail "console-10 left state 1"
[ -z "$(link_of org.example.devid.10)" ] || fail "console-10 got a link"
[ "$(status_field console-11 devid)" = 1 ] || fail "console-11 does not read as devid 1"
[ "$(status_field console-11 hvc)" = hvc1 ] || fail "console-11 does not share index 1: $(fe status)"
[ -z "$(link_of org.example.devid.11)" ] || fail "console-11 linked to $(link_of org.example.devid.11)"
grep -q "console-11: hvc index 1 is console-1's too" "$GUEST_LOG" || fail "no warning about the shared index"
grep -q "console-11: no usable hvc tty" "$GUEST_LOG" || fail "the helper did not refuse console-11"

out_prod_is() { [ "$(status_field "$1" out_prod)" = "$2" ]; }
# hvc1 is console-1's: its ring
"$XENSIM" exec "$DOM" -- sh -c 'printf abc >"$XENSIM_GUEST_ROOT/dev/hvc1"' || fail "write hvc1"
wait_for 10 out_prod_is console-1 3 || fail "bytes written to hvc1 did not reach console-1's ring"
out_prod_is console-11 0 || fail "console-11's ring was used while console-1 exists"

# without console-1, hvc1 opens console-11's console, which uses its own ring
xenstore-rm "/local/domain/$DOM/device/console/1"
xenstore-rm "/local/domain/0/backend/console/$DOM/1"
settle
[ -z "$(status_field console-1 hvc)" ] || fail "console-1 still there"
[ -z "$(link_of org.example.devid.1)" ] || fail "console-1's link stays"
"$XENSIM" exec "$DOM" -- sh -c 'printf de >"$XENSIM_GUEST_ROOT/dev/hvc1"' || fail "write hvc1"
wait_for 10 out_prod_is console-11 2 || fail "hvc1 does not reach console-11's ring after console-1 left"
# hvc_remove freed slot 1 although console-11 still has index 1: the next console takes it too
mkchan 2 org.example.devid.2
settle
[ "$(status_field console-2 hvc)" = hvc1 ] || fail "console-2 did not take the freed slot 1: $(fe status)"
pass "devid 10 is never probed; devid 11 shares devid 1's slot and ring while it exists, then owns hvc1"
