# images.sh - build and cache the dom0 and domU images for tests/xen/run.
# Sourced by tests/xen/run; expects: CACHE, HERE, log(), die().
#
# One Debian bookworm root filesystem (mmdebstrap, bookworm + -updates +
# -security) holds Xen 4.17's tools, QEMU's xenpv device model and udev. From it:
#   boot/xen          the hypervisor (gunzipped: QEMU's multiboot loader wants the ELF)
#   boot/vmlinuz      the Debian kernel, used for dom0 and the domU
#   dom0-base.cpio    the root filesystem as an initramfs (docs and apt lists pruned)
#   domU-base/        busybox, systemd-udevd + udevadm + rules, xenstore tools, ip,
#                     Debian's qemu-ga (+ mke2fs, chpasswd, PAM for its scenario),
#                     and every shared library they need
#   manifest.txt      installed package versions
# The cache key is the versions the host's apt would install for the packages that
# matter, plus a hash of this file: a new Debian point release or a change of the
# recipe builds a fresh image; anything else reuses it.

XEN_SUITE=bookworm
XEN_VERSION=4.17
XEN_MIRROR=${XENCHANNEL_XEN_MIRROR:-http://deb.debian.org/debian}
XEN_SECURITY_MIRROR=${XENCHANNEL_XEN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# packages whose versions key the cache
XEN_KEY_PACKAGES="xen-utils-$XEN_VERSION xen-hypervisor-$XEN_VERSION-amd64 qemu-system-xen
linux-image-amd64 udev libxenstore4 libjansson4 libssl3 libyaml-0-2 busybox-static iproute2"
XEN_ROOTFS_PACKAGES="xen-utils-$XEN_VERSION,xenstore-utils,qemu-system-xen,socat,busybox-static,\
kmod,procps,iproute2,udev,libjansson4,libssl3,libyaml-0-2,psmisc,openssh-client,\
qemu-guest-agent,e2fsprogs"

images_key() {
	local p v vers=""
	for p in $XEN_KEY_PACKAGES; do
		v=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2; exit}')
		vers="$vers $p=${v:-unknown}"
	done
	printf '%s\n' "$vers" "$(sha256sum "$HERE/lib/images.sh" | cut -c1-16)" |
		sha256sum | cut -c1-16
}

# copy_with_libs ROOT DEST PATH...: copy PATHs (absolute, inside ROOT) into DEST,
# keeping symlinks, plus every shared library they load (resolved by ldd in ROOT).
copy_with_libs() {
	local root=$1 dest=$2 f lib real
	shift 2
	for f in "$@"; do
		[ -e "$root$f" ] || [ -L "$root$f" ] || die "image: $f missing in the root filesystem"
		mkdir -p "$dest$(dirname "$f")"
		cp -a "$root$f" "$dest$f"
		real=$(chroot "$root" readlink -f "$f")
		if [ "$real" != "$f" ]; then
			mkdir -p "$dest$(dirname "$real")"
			cp -a "$root$real" "$dest$real"
		fi
		for lib in $(chroot "$root" ldd "$real" 2>/dev/null | grep -o '/[^ ]*'); do
			[ -e "$dest$lib" ] && continue
			mkdir -p "$dest$(dirname "$lib")"
			cp -L "$root$lib" "$dest$lib"
		done
	done
}

build_rootfs() { # $1: target dir
	local dir=$1
	log "image: mmdebstrap $XEN_SUITE (+updates, +security) with Xen $XEN_VERSION tools, QEMU xenpv, udev"
	mmdebstrap --variant=minbase --mode=root --include="$XEN_ROOTFS_PACKAGES" \
		--customize-hook='mkdir -p "$1/xentest-debs" && chroot "$1" sh -c "cd /xentest-debs && apt-get download -q xen-hypervisor-'"$XEN_VERSION"'-amd64 linux-image-amd64 >/dev/null && k=\$(dpkg-deb -f linux-image-amd64_*.deb Depends | grep -o \"linux-image-[0-9][^ ,]*\") && apt-get download -q \$k >/dev/null"' \
		"$XEN_SUITE" "$dir" \
		"deb $XEN_MIRROR $XEN_SUITE main" \
		"deb $XEN_MIRROR $XEN_SUITE-updates main" \
		"deb $XEN_SECURITY_MIRROR $XEN_SUITE-security main" \
		>"$dir.log" 2>&1 || { tail -n 30 "$dir.log" >&2; die "image: mmdebstrap failed (log $dir.log)"; }
}

build_images() { # sets IMG to the image directory
	local key tmp kver m f
	key=$(images_key)
	IMG=$CACHE/images/$key
	[ -e "$IMG/.complete" ] && { log "image: cached $IMG"; return 0; }
	mkdir -p "$CACHE/images"
	exec 8>"$CACHE/images/.lock"
	flock -w 900 8 || die "image: cannot lock $CACHE/images/.lock"
	if [ -e "$IMG/.complete" ]; then exec 8>&-; return 0; fi
	tmp=$CACHE/images/.build-$key
	rm -rf "$tmp" "$tmp.log"
	mkdir -p "$tmp"
	build_rootfs "$tmp/rootfs"
	mkdir -p "$tmp/boot" "$tmp/pkg"
	for f in "$tmp"/rootfs/xentest-debs/*.deb; do dpkg-deb -x "$f" "$tmp/pkg"; done
	ls "$tmp/rootfs/xentest-debs" >"$tmp/boot/debs.txt"
	rm -rf "$tmp/rootfs/xentest-debs"
	gunzip -c "$tmp/pkg/boot/xen-$XEN_VERSION-amd64.gz" >"$tmp/boot/xen"
	cp "$tmp"/pkg/boot/vmlinuz-* "$tmp/boot/vmlinuz"
	kver=$(basename "$tmp"/pkg/lib/modules/*)
	echo "$kver" >"$tmp/boot/kver"
	# modules: only Xen's drivers, the dummy netdev and loop (the qemu-ga
	# scenario's ext4 file system) are loaded (the rest, ext4 included, is built in)
	m=$tmp/rootfs/usr/lib/modules/$kver
	rm -rf "$m"
	mkdir -p "$m/kernel/drivers/net" "$m/kernel/drivers/block"
	cp -a "$tmp/pkg/lib/modules/$kver/kernel/drivers/xen" "$m/kernel/drivers/"
	cp -a "$tmp/pkg/lib/modules/$kver/kernel/drivers/net/dummy.ko" "$m/kernel/drivers/net/"
	cp -a "$tmp/pkg/lib/modules/$kver/kernel/drivers/block/loop.ko" "$m/kernel/drivers/block/"
	cp "$tmp/pkg/lib/modules/$kver"/modules.builtin* "$tmp/pkg/lib/modules/$kver/modules.order" "$m/"
	chroot "$tmp/rootfs" depmod "$kver"
	rm -rf "$tmp/pkg"
	chroot "$tmp/rootfs" dpkg-query -W -f '${Package} ${Version}\n' >"$tmp/manifest.txt"

	log "image: domU base (busybox, systemd-udevd, xenstore tools, ip, qemu-ga)"
	local u=$tmp/domU-base
	mkdir -p "$u"/{proc,sys,dev,run,tmp,root,etc,usr/bin,usr/sbin,usr/lib,usr/lib64,var}
	ln -s usr/bin "$u/bin"; ln -s usr/sbin "$u/sbin"; ln -s usr/lib "$u/lib"; ln -s usr/lib64 "$u/lib64"
	copy_with_libs "$tmp/rootfs" "$u" /usr/bin/busybox /usr/bin/udevadm /usr/lib/systemd/systemd-udevd \
		/usr/bin/xenstore-read /usr/bin/xenstore-ls /usr/bin/xenstore-write /usr/bin/xenstore-watch \
		/usr/bin/xenstore-exists /usr/bin/xenstore-list /usr/bin/ip /usr/sbin/modprobe /usr/bin/kmod \
		/usr/bin/stty /usr/bin/sha256sum /usr/bin/dd \
		/usr/sbin/qemu-ga /usr/sbin/mke2fs /usr/sbin/chpasswd
	cp -a "$tmp/rootfs/usr/lib/udev" "$u/usr/lib/"
	rm -rf "$u/usr/lib/udev/hwdb.bin" "$u/usr/lib/udev/hwdb.d" # hardware names: not needed
	cp -a "$tmp/rootfs/etc/udev" "$u/etc/"
	for f in passwd group hostname shadow gshadow login.defs mke2fs.conf; do cp "$tmp/rootfs/etc/$f" "$u/etc/"; done
	cp -a "$tmp/rootfs/etc/pam.d" "$u/etc/"
	mkdir -p "$u/usr/lib/x86_64-linux-gnu"
	cp -a "$tmp/rootfs/usr/lib/x86_64-linux-gnu/security" "$u/usr/lib/x86_64-linux-gnu/"
	mkdir -p "$u/usr/lib/modules"
	cp -a "$m" "$u/usr/lib/modules/"

	log "image: dom0 initramfs"
	mkdir -p "$tmp/rootfs/xentest"
	cp "$tmp/boot/vmlinuz" "$tmp/rootfs/xentest/vmlinuz"
	(cd "$tmp/rootfs" && find . \( -path ./usr/share/doc -o -path ./usr/share/man \
		-o -path ./usr/share/locale -o -path ./usr/share/info -o -path ./var/cache/apt \
		-o -path ./var/lib/apt/lists -o -path ./usr/lib/udev/hwdb.d -o -path ./usr/lib/udev/hwdb.bin \) \
		-prune -o -print | cpio -o -H newc --quiet) >"$tmp/dom0-base.cpio"
	rm -f "$tmp/rootfs/xentest/vmlinuz"
	touch "$tmp/.complete"
	rm -rf "$IMG"
	mv "$tmp" "$IMG"
	# keep only this key's image
	for f in "$CACHE"/images/*; do
		[ "$f" = "$IMG" ] || rm -rf "$f"
	done
	exec 8>&-
	log "image: built $IMG ($(du -sm "$IMG" | cut -f1) MiB)"
}
