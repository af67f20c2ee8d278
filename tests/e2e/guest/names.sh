#!/bin/bash
# e2e-guest-names: hostile channel names written by a toolstack that does not
# check them ('/', '..', a leading dot, 300 characters, control characters)
# are refused by xen-console-setup: nothing is created anywhere, the
# refusal is one clear line, and a good name next to them still gets its link.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/guest/guest-lib.sh"

guest_start g1

long=$(printf 'a%.0s' $(seq 300))
touch "$E2E_TMP/marker"
mkchan 1 "../../../../escape"
mkchan 2 "org.example/evil"
mkchan 3 ".hidden"
mkchan 4 "org..example"
mkchan 5 "$long"
mkchan 6 "$(printf 'org.example.\001bell')"
mkchan 7 "$(printf 'org.example.new\nline')"
settle
mkchan 8 "org.example.eighth.0"
settle

# Every hostile name got a one-line refusal naming the device and the reason.
for id in 1 2 3 4 5 6 7; do
	grep -q "xen-console-setup: error: console-$id: channel name .* rejected: " "$GUEST_LOG" ||
		fail "no refusal logged for console-$id"
	# the record claims the device's line (so no other device takes it) but names nothing
	[ "$(cat "$ROOT/run/xen-channel/console-$id")" = "hvc$id" ] ||
		fail "console-$id record: '$(cat "$ROOT/run/xen-channel/console-$id")'"
done
grep -q "rejected: contains '/'" "$GUEST_LOG" || fail "'/' not named as the reason"
grep -q "rejected: is longer than 128 characters" "$GUEST_LOG" || fail "length not named"
grep -q "rejected: contains a control character" "$GUEST_LOG" || fail "control char not named"
grep -q 'org.example.\\x01bell' "$GUEST_LOG" || fail "control character not escaped in the log"
# Linux gives no tty to an eighth channel (hvc8 does not exist): refused too.
grep -q "console-8: no usable hvc tty" "$GUEST_LOG" || fail "console-8 (hvc8) not refused"

# Nothing was created: not in dev/xen-channel, not elsewhere in the guest
# root (besides the kernel's own sysfs and hvc entries), not outside it.
[ -z "$(ls -A "$ROOT/dev/xen-channel" 2>/dev/null)" ] ||
	fail "dev/xen-channel holds: $(ls -A "$ROOT/dev/xen-channel")"
created=$(find "$ROOT" -newer "$E2E_TMP/marker" ! -type d |
	grep -v -E "^$ROOT/(sys/|dev/hvc[0-9]+$|run/uevent|run/xen-channel/(console-[0-9]+|\.lock)$)" || true)
[ -z "$created" ] || fail "files created: $created"
[ -z "$(find "$E2E_TMP" -name 'escape*' -o -name 'evil' -o -name 'bell' | head -1)" ] ||
	fail "a file named after a hostile name exists"

# A good name beside them works (the helper is not simply broken).
xenstore-rm "/local/domain/$DOM/device/console/8"
xenstore-rm "/local/domain/0/backend/console/$DOM/8"
xenstore-rm "/local/domain/$DOM/device/console/1"
xenstore-rm "/local/domain/0/backend/console/$DOM/1"
settle
# Linux 6.1 frees the slot of a removed console: a new channel takes hvc1.
mkchan 1 org.example.good.0
settle
[ "$(status_field console-1 hvc)" = hvc1 ] || fail "the new console-1 is not hvc1: $(fe status)"
[ "$(link_of org.example.good.0)" = ../hvc1 ] || fail "good name not linked to hvc1"
pass "hostile names refused with one line each, nothing created; a good name links"
