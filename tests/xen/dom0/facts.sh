# facts.sh - observations of real Xen 4.17 + Linux 6.1 on channel hotplug,
# saved as artifacts (sourced by scenarios.sh; DOMID set, no xenchanneld yet).
# A device/console/N directory is written by hand in dom0, as libxl would for a
# channel but with type=xenchanneld, into the running domU; nothing serves it.

facts_devid=5
fe=/local/domain/$DOMID/device/console/$facts_devid
be=/local/domain/0/backend/console/$DOMID/$facts_devid
{
	echo "=== sysfs of the boot-time channels"
	guest_run 30 'for d in /sys/bus/xen/devices/console-*; do echo "--- ls -la $d"; ls -la $d/; for a in $d/*; do [ -f $a ] && [ -r $a ] && echo "$(basename $a)=$(cat $a 2>&1 | tr "\n" " ")"; done; echo "--- readlink $d"; readlink -f $d; ls -la $d/xenbus 2>&1 | head -5; done'
	echo "=== /sys/class/tty/hvc1"
	guest_run 30 'ls -la /sys/class/tty/hvc1/; cat /sys/class/tty/hvc1/uevent; readlink -f /sys/class/tty/hvc1; cat /proc/tty/drivers; cat /proc/consoles; ls -la /dev/hvc*'
	echo "=== which hvc nodes open (ENODEV = no console behind the index)"
	guest_run 30 'for k in 0 1 2 3 4 5 6 7; do if (exec 3<>/dev/hvc$k) 2>/dev/null; then echo "hvc$k: opens"; else echo "hvc$k: does not open"; fi; done'
	echo "=== uevents seen by udev since boot (coldplug via udevadm trigger)"
	guest_run 30 'cat /run/xentest/udev-monitor.log; : >/run/xentest/udev-monitor.log; rm -f /run/xentest/uevents/*'
} 2>&1 | artifact facts-boot.txt

note "facts: hand-written hotplug of console $facts_devid (type=xenchanneld)"
# backend first (the guest's probe reads it), then the frontend, its perms, and
# state=1 last: the guest probes a device only when its state reads 1.
xenstore-write $be/frontend $fe $be/frontend-id $DOMID $be/online 1 $be/state 1 \
	$be/protocol vt100 $be/name org.xenchannel.test.hotplug $be/connection socket \
	$be/path $T/hotplug.sock
xenstore-chmod -r $be n0 r$DOMID
xenstore-write $fe/backend $be $fe/backend-id 0 $fe/protocol vt100 \
	$fe/name org.xenchannel.test.hotplug $fe/limit 1048576 $fe/type xenchanneld \
	$fe/output chardev:xenchanneld $fe/tty ""
xenstore-chmod $fe n$DOMID r0
for k in name limit type output tty; do xenstore-chmod $fe/$k n0 r$DOMID; done
xenstore-write $fe/state 1
xs_wait 30 $fe/state '[ "$v" != 1 ]'
facts_link=$(guest_run 40 "udevadm wait --timeout=30 /sys/devices/console-$facts_devid >/dev/null 2>&1; udevadm settle -t 30; readlink -f /dev/xen-channel/org.xenchannel.test.hotplug")
note "facts: hand-written devid $facts_devid: our rule linked org.xenchannel.test.hotplug -> '$facts_link'"
{
	echo "=== our rule + xen-console-setup: /dev/xen-channel/org.xenchannel.test.hotplug -> $facts_link"
	echo "=== frontend after the guest probed it (nothing serves the backend)"
	xenstore-ls -fp $fe
	xenstore-ls -fp $be
	echo "=== guest: udev settle, uevents, sysfs, hvc"
	guest_run 60 "udevadm settle -t 20; echo '--- udevadm monitor'; cat /run/xentest/udev-monitor.log; echo '--- RUN dumps'; for f in /run/xentest/uevents/*; do echo \"## \$f\"; cat \$f; done; echo '--- sysfs'; ls -la /sys/bus/xen/devices/; ls -la /sys/bus/xen/devices/console-$facts_devid/; cat /sys/bus/xen/devices/console-$facts_devid/state /sys/bus/xen/devices/console-$facts_devid/nodename; for k in 0 1 2 3 4 5 6 7; do if (exec 3<>/dev/hvc\$k) 2>/dev/null; then echo \"hvc\$k: opens\"; else echo \"hvc\$k: does not open\"; fi; done; : >/run/xentest/udev-monitor.log; rm -f /run/xentest/uevents/*"
} 2>&1 | artifact facts-hotplug-add.txt

note "facts: backend Closing (5), then removal of both directories"
xenstore-write $be/state 5
xs_wait 20 $fe/state '[ "$v" = 6 ]'
{
	echo "=== after backend state 5"
	xenstore-ls -fp $fe
	guest_run 60 "udevadm settle -t 20; cat /run/xentest/udev-monitor.log; for f in /run/xentest/uevents/*; do echo \"## \$f\"; cat \$f; done; ls /sys/bus/xen/devices/; cat /sys/bus/xen/devices/console-$facts_devid/state 2>&1; for k in 0 1 2 3 4 5 6 7; do if (exec 3<>/dev/hvc\$k) 2>/dev/null; then echo \"hvc\$k: opens\"; else echo \"hvc\$k: does not open\"; fi; done; : >/run/xentest/udev-monitor.log; rm -f /run/xentest/uevents/*"
	xenstore-rm $fe
	xenstore-rm $be
	echo "=== after removing both directories"
	guest_run 60 "udevadm wait --removed --timeout=20 /sys/devices/console-$facts_devid; udevadm settle -t 20; cat /run/xentest/udev-monitor.log; for f in /run/xentest/uevents/*; do echo \"## \$f\"; cat \$f; done; ls /sys/bus/xen/devices/; : >/run/xentest/udev-monitor.log; rm -f /run/xentest/uevents/*"
} 2>&1 | artifact facts-hotplug-remove.txt
