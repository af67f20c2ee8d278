# domU-systemd.sh - a second domU image for tests/xen/run: the release's Debian with
# systemd as PID 1 and real udev (the busybox domU runs udevd by hand), booted
# from its initramfs. Per run, the xenchannel-guest package is installed into
# a copy with dpkg, as a user installs it. A unit serves the same command
# protocol as the busybox domU on hvc0 (its getty masked).
# Sourced by tests/xen/run; expects: CACHE, HERE, XEN_SUITE, XEN_MIRROR,
# XEN_SECURITY_MIRROR, log(), die(), xen_key(). Cached under
# $CACHE/domU-systemd/<suite>-<key>, keyed by the versions of its packages
# and its recipe; an older image of the same suite goes when one is built.
SYSD_PACKAGES="systemd,systemd-sysv,udev,libxenstore4,libjansson4,libyaml-0-2,xenstore-utils,iproute2,procps,\
qemu-guest-agent"

sysd_key() {
	# the recipe: what builds the image, not what is done per run
	xen_key "systemd udev libxenstore4 libjansson4 libyaml-0-2 qemu-guest-agent" \
		"$SYSD_PACKAGES $(declare -f build_sysd_image sysd_cmd_server)"
}

# the command server: "ID BASE64(command)" in, "@@BEGIN ID", output, "@@END ID RC" out
sysd_cmd_server() {
	cat <<'EOF'
#!/bin/sh
exec </dev/hvc0 >/dev/hvc0 2>&1
stty raw -echo
echo "DOMU-READY uptime $(cut -d' ' -f1 /proc/uptime) init $(cat /proc/1/comm)"
while IFS= read -r line; do
	id=${line%% *}
	echo "$line" | cut -d' ' -f2 | base64 -d >/run/cmd.sh 2>/dev/null
	sh /run/cmd.sh </dev/null >/run/cmd.out 2>&1
	rc=$?
	echo "@@BEGIN $id"
	cat /run/cmd.out
	echo "@@END $id $rc"
done
EOF
}

build_sysd_image() { # sets SYSD to the cached root filesystem directory
	local key tmp
	key=$XEN_SUITE-$(sysd_key)
	SYSD=$CACHE/domU-systemd/$key
	[ -e "$SYSD/.complete" ] && { log "image: cached $SYSD"; return 0; }
	mkdir -p "$CACHE/domU-systemd"
	tmp=$CACHE/domU-systemd/.build-$key
	rm -rf "$tmp" "$tmp.log"
	log "image: mmdebstrap $XEN_SUITE with systemd as init, for the systemd domU"
	mmdebstrap --variant=minbase --mode=root --include="$SYSD_PACKAGES" "$XEN_SUITE" "$tmp" \
		"deb $XEN_MIRROR $XEN_SUITE main" \
		"deb $XEN_MIRROR $XEN_SUITE-updates main" \
		"deb $XEN_SECURITY_MIRROR $XEN_SUITE-security main" \
		>"$tmp.log" 2>&1 || { tail -n 30 "$tmp.log" >&2; die "image: mmdebstrap (systemd domU) failed (log $tmp.log)"; }
	rm -rf "$tmp"/usr/share/doc/* "$tmp"/usr/share/man/* "$tmp"/usr/share/locale/* \
		"$tmp"/var/cache/apt/* "$tmp"/var/lib/apt/lists/* "$tmp"/usr/lib/udev/hwdb.bin
	ln -sf /lib/systemd/systemd "$tmp/init"
	echo xentest-sysd >"$tmp/etc/hostname"
	: >"$tmp/etc/machine-id"
	sysd_cmd_server >"$tmp/usr/local/sbin/xentest-cmd"
	chmod 0755 "$tmp/usr/local/sbin/xentest-cmd"
	cat >"$tmp/etc/systemd/system/xentest-cmd.service" <<'EOF'
[Unit]
Description=tests/xen command server on hvc0
After=systemd-udevd.service

[Service]
ExecStart=/usr/local/sbin/xentest-cmd
Restart=always

[Install]
WantedBy=multi-user.target
EOF
	ln -sf /etc/systemd/system/xentest-cmd.service "$tmp/etc/systemd/system/multi-user.target.wants/xentest-cmd.service"
	# hvc0 is the command server's: no getty there
	ln -sf /dev/null "$tmp/etc/systemd/system/serial-getty@hvc0.service"
	ln -sf /dev/null "$tmp/etc/systemd/system/getty@tty1.service"
	touch "$tmp/.complete"
	for f in "$CACHE/domU-systemd/$XEN_SUITE"-*; do [ "$f" = "$tmp" ] || rm -rf "$f"; done
	mv "$tmp" "$SYSD"
	log "image: built $SYSD ($(du -sm "$SYSD" | cut -f1) MiB)"
}

# sysd_cpio DEB OUT: a copy of the image with package DEB installed by dpkg,
# as the initramfs OUT
sysd_cpio() {
	local deb=$1 out=$2 r=$WORK/domU-systemd-root
	rm -rf "$r"
	cp -a "$SYSD" "$r"
	cp "$deb" "$r/tmp/"
	chroot "$r" dpkg -i "/tmp/$(basename "$deb")" >"$WORK/domU-systemd-dpkg.log" 2>&1 ||
		{ log "domU-systemd: dpkg -i $(basename "$deb") failed (see $WORK/domU-systemd-dpkg.log)"; return 1; }
	rm -f "$r/tmp/$(basename "$deb")" "$r/.complete"
	# not a first boot: nothing may prompt on hvc0, the command server's
	echo 5eed0000000000000000000000000001 >"$r/etc/machine-id"
	ln -sf /dev/null "$r/etc/systemd/system/systemd-firstboot.service"
	(cd "$r" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out"
	rm -rf "$r"
}
