# cloudinit-image.sh - the domU of scenario 15 (XENCHANNEL_XEN_CLOUDINIT=1):
# a Debian bookworm guest with systemd as PID 1, Debian's cloud-init and
# ifupdown (cloud-init's ENI renderer), booted from an initramfs.
# Sourced by tests/xen/run after images.sh; expects: CACHE, HERE, IMG, WORK,
# XEN_SUITE, log(), die(), xen_key().
#
#   CI_IMG/rootfs   the root filesystem (mmdebstrap), kernel modules from IMG
# Cached under $CACHE/cloudinit-images/<suite>-<key>, keyed by IMG (the
# kernel), the cloud-init and systemd versions apt would install, and this file.

CI_PACKAGES="systemd,systemd-sysv,udev,dbus,cloud-init,ifupdown,iproute2,kmod,\
libxenstore4,libjansson4,xenstore-utils,procps"

cloudinit_image_key() {
	xen_key "cloud-init systemd ifupdown" \
		"$(basename "$IMG") $(sha256sum "$HERE/lib/cloudinit-image.sh" | cut -c1-16)"
}

build_cloudinit_image() { # sets CI_IMG
	local key tmp kver f
	key=$XEN_SUITE-$(cloudinit_image_key)
	CI_IMG=$CACHE/cloudinit-images/$key
	[ -e "$CI_IMG/.complete" ] && { log "image: cached $CI_IMG"; return 0; }
	mkdir -p "$CACHE/cloudinit-images"
	exec 9>"$CACHE/cloudinit-images/.lock"
	flock -w 900 9 || die "image: cannot lock $CACHE/cloudinit-images/.lock"
	if [ -e "$CI_IMG/.complete" ]; then exec 9>&-; return 0; fi
	tmp=$CACHE/cloudinit-images/.build-$key
	rm -rf "$tmp" "$tmp.log"
	mkdir -p "$tmp"
	log "image: mmdebstrap $XEN_SUITE with systemd, cloud-init, ifupdown (the cloud-init domU)"
	mmdebstrap --variant=minbase --mode=root --include="$CI_PACKAGES" \
		"$XEN_SUITE" "$tmp/rootfs" \
		"deb $XEN_MIRROR $XEN_SUITE main" \
		"deb $XEN_MIRROR $XEN_SUITE-updates main" \
		"deb $XEN_SECURITY_MIRROR $XEN_SUITE-security main" \
		>"$tmp.log" 2>&1 || { tail -n 30 "$tmp.log" >&2; die "image: mmdebstrap (cloud-init domU) failed (log $tmp.log)"; }
	# the kernel's modules, as pruned for the other images (Xen drivers, dummy)
	kver=$(cat "$IMG/boot/kver")
	rm -rf "$tmp/rootfs/usr/lib/modules"
	mkdir -p "$tmp/rootfs/usr/lib/modules"
	cp -a "$IMG/rootfs/usr/lib/modules/$kver" "$tmp/rootfs/usr/lib/modules/"
	# what a RAM root does not need
	rm -rf "$tmp"/rootfs/usr/share/{doc,man,locale,info} "$tmp"/rootfs/var/cache/apt/*.bin \
		"$tmp"/rootfs/var/lib/apt/lists/* "$tmp/rootfs/usr/lib/udev/hwdb.bin"
	chroot "$tmp/rootfs" dpkg-query -W -f '${Package} ${Version}\n' >"$tmp/manifest.txt"
	touch "$tmp/.complete"
	rm -rf "$CI_IMG"
	mv "$tmp" "$CI_IMG"
	for f in "$CACHE/cloudinit-images/$XEN_SUITE"-*; do
		[ "$f" = "$CI_IMG" ] || rm -rf "$f"
	done
	exec 9>&-
	log "image: built $CI_IMG ($(du -sm "$CI_IMG" | cut -f1) MiB)"
}

# cloudinit_domu DEB OUT: this run's cloud-init domU as a gzip'd initramfs
# OUT: the image with the xenchannel-guest package DEB installed by dpkg
# (agent, xen-console-setup, udev rules, units, the cloud.cfg.d snippet), and
# the test's own units (a dummy eth0 for cloud-init's network-config, a report
# of what cloud-init did on the console).
cloudinit_domu() {
	local deb=$1 out=$2 r u
	r=$WORK/ci-root
	rm -rf "$r"
	cp -a "$CI_IMG/rootfs" "$r"
	cp "$deb" "$r/tmp/"
	chroot "$r" dpkg -i "/tmp/$(basename "$deb")" >"$WORK/ci-dpkg.log" 2>&1 ||
		die "cloud-init domU: dpkg -i $(basename "$deb") failed (see $WORK/ci-dpkg.log)"
	rm -f "$r/tmp/$(basename "$deb")"
	mkdir -p "$r/etc/systemd/system/cloud-init-local.service.wants" \
		"$r/etc/systemd/system/multi-user.target.wants"
	install -m 0644 "$HERE/domU-cloudinit/xentest-nic.service" "$HERE/domU-cloudinit/xentest-report.service" \
		"$r/etc/systemd/system/"
	# test only: both agents say what they do on the console too
	for u in xenchannel-seed.service xenchannel-agent@.service; do
		mkdir -p "$r/etc/systemd/system/$u.d"
		install -m 0644 "$HERE/domU-cloudinit/${u%%[@.]*}-console.conf" "$r/etc/systemd/system/$u.d/xentest.conf"
	done
	install -m 0755 "$HERE/domU-cloudinit/xentest-report" "$r/usr/local/sbin/xentest-report"
	ln -sf /etc/systemd/system/xentest-nic.service \
		"$r/etc/systemd/system/cloud-init-local.service.wants/xentest-nic.service"
	ln -sf /etc/systemd/system/xentest-report.service \
		"$r/etc/systemd/system/multi-user.target.wants/xentest-report.service"
	# a RAM root: systemd is /init, nothing to mount, a machine id made at boot
	ln -sf /usr/lib/systemd/systemd "$r/init"
	: >"$r/etc/fstab"
	: >"$r/etc/machine-id"
	echo ci-initial >"$r/etc/hostname"
	(cd "$r" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out"
	rm -rf "$r"
}
