#!/bin/bash
# e2e-guest-attach: a channel attached to a running simulated guest.
# hvc1 appears, the udev rule runs xen-console-setup with the kernel's uevent,
# /dev/xen-channel/<name> resolves to the tty; bytes flow both ways through
# xenchanneld, bulk data arrives intact across the 2 KiB / 1 KiB rings;
# detach removes the tty, the link and the sysfs device.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/guest/guest-lib.sh"
HERE="$SRC_DIR/tests/e2e/guest"
NAME=org.example.e2e.0

guest_start g1
# A guest-local rule that records every uevent as its RUN programs see it.
cat >"$ROOT/etc/udev/rules.d/50-record.rules" <<'EOF'
# record the environment of each xen bus event
SUBSYSTEM=="xen", \
  RUN+="/bin/sh -c 'env > $$XENSIM_GUEST_ROOT/run/uevent-%k-$env{ACTION}'"
EOF

daemon_start

"$XENCHANNEL" attach "$DOM" "name=$NAME,connection=socket,path=$E2E_TMP/c0.sock" \
	>"$E2E_TMP/attach.log" 2>&1 || fail "attach: $(cat "$E2E_TMP/attach.log")"
FE=/local/domain/$DOM/device/console/1
[ "$(xenstore-read "$FE/name")" = "$NAME" ] || fail "attach did not create devid 1"
xs_wait "$FE/state" 4 || fail "frontend never reached Connected"
settle

# --- the tty and the link
hvc=$(status_field console-1 hvc)
[ "$hvc" = hvc1 ] || fail "console-1 got '$hvc', Linux gives the first channel hvc1"
[ -L "$ROOT/dev/hvc1" ] || fail "no $ROOT/dev/hvc1"
[ "$(link_of "$NAME")" = ../hvc1 ] || fail "dev/xen-channel/$NAME -> '$(link_of "$NAME")'"
[ -c "$ROOT/dev/xen-channel/$NAME" ] || fail "the link does not resolve to a tty"
[ "$(readlink -f "$ROOT/dev/xen-channel/$NAME")" = "$(status_field console-1 tty)" ] ||
	fail "the link resolves to another tty than console-1's"
[ "$(stat -L -c %a "$ROOT/dev/hvc1")" = 600 ] || fail "tty mode is not 0600"
grep -qx "hvc1 $NAME" "$ROOT/run/xen-channel/console-1" || fail "no record of the link"

# --- the uevents, as a kernel sends them and udev hands them to RUN programs
ev="$ROOT/run/uevent-console-1-add"
[ -f "$ev" ] || fail "no add uevent reached the rules"
for kv in ACTION=add DEVPATH=/devices/console-1 SUBSYSTEM=xen MODALIAS=xen:console \
	ID_MM_DEVICE_IGNORE=1 "XENSIM_DOMID=$DOM" "XENSIM_GUEST_ROOT=$ROOT" \
	"XENSTORED_PATH=$XENSIM_RUN_DIR/domains/$DOM/xenstored.sock"; do
	grep -qx "$kv" "$ev" || fail "add uevent lacks $kv: $(tr '\n' ' ' <"$ev")"
done
! grep -q '^DRIVER=' "$ev" || fail "add uevent has DRIVER (Linux binds the driver after add)"
bev="$ROOT/run/uevent-console-1-bind"
for kv in ACTION=bind DEVPATH=/devices/console-1 SUBSYSTEM=xen DRIVER=xenconsole MODALIAS=xen:console; do
	grep -qx "$kv" "$bev" || fail "bind uevent lacks $kv: $(tr '\n' ' ' <"$bev")"
done
grep -q '^SEQNUM=[0-9]' "$ev" || fail "no SEQNUM"
[ "$(cat "$ROOT/sys/devices/console-1/nodename")" = device/console/1 ] || fail "sysfs nodename"
[ "$(cat "$ROOT/sys/devices/console-1/state")" = Connected ] || fail "sysfs state"
[ -L "$ROOT/sys/bus/xen/devices/console-1" ] || fail "no sys/bus/xen/devices/console-1"
# Linux links a console device to no tty: the helper found hvc1 without help
[ -z "$(find "$ROOT/sys/devices/console-1" -name 'tty*' -o -name 'hvc*')" ] ||
	fail "sysfs shows a tty under console-1, which Linux does not"

# --- bytes both ways: the guest answers a line from dom0
bg guest-echo "$XENSIM" exec "$DOM" -- python3 "$HERE/guest-io.py" "$ROOT/dev/xen-channel/$NAME" echo-line
echo_pid=$LAST_PID
reply=$(python3 "$HERE/host-io.py" "$E2E_TMP/c0.sock" line "ping-from-dom0") || fail "host side"
wait "$echo_pid" || fail "guest side: $(cat "$E2E_TMP/guest-echo.log")"
[ "$reply" = "echo:ping-from-dom0" ] || fail "dom0 got '$reply'"

# --- like hvc, the line is back to echo and canonical mode for the next opener
settle
modes=$("$XENSIM" exec "$DOM" -- stty -F "$ROOT/dev/hvc1" -a) || fail "stty"
grep -qw -- -echo <<<"$modes" && fail "echo still off after the raw-mode user closed the tty"
grep -qw -- -icanon <<<"$modes" && fail "icanon still off after the raw-mode user closed the tty"

# --- bulk, guest -> dom0: 256 KiB through a 2 KiB ring, nothing lost
N=262144
bg host-recv python3 "$HERE/host-io.py" "$E2E_TMP/c0.sock" recv $N
hr=$LAST_PID
sent=$("$XENSIM" exec "$DOM" -- python3 "$HERE/guest-io.py" "$ROOT/dev/hvc1" send $N 7) ||
	fail "guest send"
wait "$hr" || fail "host recv: $(cat "$E2E_TMP/host-recv.log")"
[ "$(cat "$E2E_TMP/host-recv.log")" = "$sent" ] || fail "guest->dom0 bytes differ"

# --- bulk, dom0 -> guest: 256 KiB through a 1 KiB ring
# the sender keeps its connection until the guest has everything (EOF on a fifo)
mkfifo "$E2E_TMP/hold"
exec 9<>"$E2E_TMP/hold"
bg host-send python3 "$HERE/host-io.py" "$E2E_TMP/c0.sock" send $N 11 <"$E2E_TMP/hold" 9>&-
hs=$LAST_PID
got=$("$XENSIM" exec "$DOM" -- python3 "$HERE/guest-io.py" "$ROOT/dev/hvc1" recv $N) ||
	fail "guest recv"
exec 9>&-
wait "$hs" || fail "host send: $(cat "$E2E_TMP/host-send.log")"
[ "$(cat "$E2E_TMP/host-send.log")" = "$got" ] || fail "dom0->guest bytes differ"

# --- detach: the tty, the link, the record and the sysfs device go away
"$XENCHANNEL" detach "$DOM" "$NAME" >"$E2E_TMP/detach.log" 2>&1 ||
	fail "detach: $(cat "$E2E_TMP/detach.log")"
settle
[ -z "$(status_field console-1 hvc)" ] || fail "console-1 still present"
[ ! -e "$ROOT/dev/hvc1" ] && [ ! -L "$ROOT/dev/hvc1" ] || fail "dev/hvc1 still there"
[ -z "$(link_of "$NAME")" ] || fail "link still there"
[ ! -e "$ROOT/run/xen-channel/console-1" ] || fail "record still there"
[ ! -e "$ROOT/sys/devices/console-1" ] || fail "sysfs device still there"
grep -qx ACTION=remove "$ROOT/run/uevent-console-1-remove" || fail "no remove uevent"
uev="$ROOT/run/uevent-console-1-unbind"
grep -qx ACTION=unbind "$uev" || fail "no unbind uevent"
! grep -q -e '^DRIVER=' -e '^MODALIAS=' "$uev" || fail "unbind uevent carries DRIVER or MODALIAS: $(tr '\n' ' ' <"$uev")"
grep -qx MODALIAS=xen:console "$ROOT/run/uevent-console-1-remove" || fail "remove uevent lacks MODALIAS"

# --- attached again: Linux reuses the freed slot, the link follows it
"$XENCHANNEL" attach "$DOM" "name=$NAME,connection=socket,path=$E2E_TMP/c0.sock" \
	>"$E2E_TMP/attach2.log" 2>&1 || fail "re-attach: $(cat "$E2E_TMP/attach2.log")"
xs_wait "$FE/state" 4 || fail "re-attached frontend never reached Connected"
settle
[ "$(status_field console-1 hvc)" = hvc1 ] || fail "re-attached console-1 is not hvc1 (slot reuse)"
[ "$(link_of "$NAME")" = ../hvc1 ] || fail "link after re-attach -> '$(link_of "$NAME")'"

# --- a hot-added channel while console-1 exists and devid 2 is skipped: devid 3
# takes the first free slot, hvc2 (on real Xen: devid 5 beside 1 and 2 got hvc3)
mkchan 3 org.example.e2e.3
settle
[ "$(status_field console-3 hvc)" = hvc2 ] || fail "console-3 is not hvc2: $(fe status)"
[ "$(link_of org.example.e2e.3)" = ../hvc2 ] || fail "console-3 linked to '$(link_of org.example.e2e.3)'"
pass "attach, uevents, link, data both ways, detach, re-attach on the reused slot, hot-add into a hole"
