#!/bin/bash
# e2e-guest-ten: ten channels on one guest, attached and detached in random
# order with the toolstack. After every step the links in /dev/xen-channel are
# exactly the channels that have an openable hvc tty, each pointing at its own
# device: never a stale link, never a link to another channel's tty. The
# simulated sysfs is Linux's (nothing says which hvc line a device got), so
# this is xen-console-setup's inference at work. Linux 6.1's limits show: a
# removed console's hvc slot is reused by the next one, only hvc1..hvc7 open,
# and a devid of 10 reads as 0 and is not probed. The random phase settles
# after each attach and detach; the last phase attaches ten without waiting,
# so several bind events run at once and the helper pairs them in devid order.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/guest/guest-lib.sh"

SEED=${GUEST_TEN_SEED:-$RANDOM}
echo "seed $SEED (rerun with GUEST_TEN_SEED=$SEED)"
RANDOM=$SEED

guest_start g1

# What the links must be: name -> ../hvcK for every device with a tty.
expected() {
	local line kname hvc node
	fe status | while read -r kname line; do
		hvc=$(sed -n 's/.* hvc=\(hvc[0-9]*\) .*/\1/p' <<<" $line ")
		[ -n "$hvc" ] && [ "${hvc#hvc}" -lt 8 ] || continue
		node=${kname#console-}
		echo "$(xenstore-read "/local/domain/$DOM/device/console/$node/name") ../$hvc"
	done | sort
}

actual() {
	local f
	[ -d "$ROOT/dev/xen-channel" ] || return 0
	for f in "$ROOT/dev/xen-channel"/* "$ROOT/dev/xen-channel"/.[!.]*; do
		[ -e "$f" ] || [ -L "$f" ] || continue
		echo "$(basename "$f") $(readlink "$f")"
	done | sort
}

check() {
	settle
	local e a
	e=$(expected)
	a=$(actual)
	[ "$e" = "$a" ] || fail "after $1: links differ
expected:
$e
actual:
$a
status:
$(fe status)"
	# every link resolves to the very tty its device has
	while read -r name target; do
		[ -n "$name" ] || continue
		[ "$(readlink -f "$ROOT/dev/xen-channel/$name")" = "$(readlink -f "$ROOT/dev/${target#../}")" ] ||
			fail "after $1: $name does not resolve to $target"
	done <<<"$a"
}

# Twenty steps: each channel attached once and detached once, shuffled with
# the constraint that a channel is attached before it is detached.
declare -a state=(0 0 0 0 0 0 0 0 0 0) # 0 new, 1 attached, 2 gone
steps=0 max_present=0
while [ $steps -lt 20 ]; do
	i=$((RANDOM % 10))
	name=org.example.ten.$i
	case ${state[$i]} in
	0)
		devid=$("$XENCHANNEL" attach --no-wait --force "$DOM" "name=$name,connection=pty" 2>"$E2E_TMP/op.log") ||
			fail "attach $name: $(cat "$E2E_TMP/op.log")"
		state[$i]=1
		check "attach $name"
		# probed (devid 10 reads as 0 in Linux and is not)
		if [ "$devid" -lt 10 ]; then
			[ "$(status_field "console-$devid" bound)" = 1 ] ||
				fail "after attach $name: console-$devid not probed: $(fe status)"
		fi
		;;
	1)
		"$XENCHANNEL" detach --timeout 5 "$DOM" "$name" >"$E2E_TMP/op.log" 2>&1 ||
			fail "detach $name: $(cat "$E2E_TMP/op.log")"
		state[$i]=2
		check "detach $name"
		;;
	*) continue ;;
	esac
	steps=$((steps + 1))
	present=$(fe status | grep -c '^console-' || true)
	[ "$present" -gt "$max_present" ] && max_present=$present
done
[ -z "$(fe status)" ] || fail "devices left after all detaches: $(fe status)"
[ -z "$(actual)" ] || fail "links left after all detaches: $(actual)"

# All ten at once: devid 10 reads as devid 0 in Linux and is never probed.
for i in 0 1 2 3 4 5 6 7 8 9; do
	"$XENCHANNEL" attach --no-wait --force "$DOM" "name=org.example.all.$i,connection=pty" >"$E2E_TMP/op.log" 2>&1 ||
		fail "attach org.example.all.$i: $(cat "$E2E_TMP/op.log")"
done
check "attaching ten at once"
# Every slot was freed by the detaches: the nine probed devices take hvc1..hvc9
# afresh, in probe order; only hvc1..hvc7 are tty lines.
for i in 1 2 3 4 5 6 7 8 9; do
	[ "$(status_field "console-$i" hvc)" = "hvc$i" ] || fail "console-$i is not hvc$i: $(fe status)"
done
grep -q "console-9: hvc index 9: beyond hvc7" "$GUEST_LOG" || fail "no warning for hvc9"
grep -q "console-9: no usable hvc tty" "$GUEST_LOG" || fail "console-9 (hvc9) not refused by the helper"
[ "$(status_field console-10 bound)" = 0 ] || fail "console-10 was probed: $(fe status)"
[ "$(xenstore-read "/local/domain/$DOM/device/console/10/state")" = 1 ] ||
	fail "console-10 left state 1"
# A driverless device never answers the close handshake, as in Linux.
! "$XENCHANNEL" detach --timeout 1 "$DOM" org.example.all.9 >"$E2E_TMP/op.log" 2>&1 ||
	fail "detach of the unprobed devid 10 succeeded without --force"
"$XENCHANNEL" detach --force "$DOM" org.example.all.9 >"$E2E_TMP/op.log" 2>&1 ||
	fail "detach --force org.example.all.9: $(cat "$E2E_TMP/op.log")"
check "detach --force org.example.all.9"
for i in 3 0 7 1 5 8 2 6 4; do
	"$XENCHANNEL" detach --timeout 5 "$DOM" "org.example.all.$i" >"$E2E_TMP/op.log" 2>&1 ||
		fail "detach org.example.all.$i: $(cat "$E2E_TMP/op.log")"
	check "detach org.example.all.$i"
done
pass "ten channels in random order (seed $SEED, up to $max_present at once): links matched devices at every step"
