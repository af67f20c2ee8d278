# images.sh - build and cache the dom0 and domU images for tests/xen/run, one
# set per Debian release. Sourced by tests/xen/run; expects: CACHE, HERE, log(),
# die(); xen_release RELEASE first.
#
# One Debian root filesystem (mmdebstrap, SUITE + -updates + -security) holds
# Xen's tools, QEMU's xenpv device model, udev and perf. From it:
#   boot/xen          the hypervisor (gunzipped: QEMU's multiboot loader wants the ELF)
#   boot/vmlinuz      the Debian kernel, used for dom0 and the domU
#   dom0-base.cpio    the root filesystem as an initramfs (docs and apt lists pruned)
#   domU-base/        busybox, systemd-udevd + udevadm + rules, xenstore tools, ip,
#                     Debian's qemu-ga (+ mke2fs, chpasswd, PAM for its scenario),
#                     and every shared library they need
#   manifest.txt      installed package versions
#   release           the release name (bookworm, trixie)
# The cache key is the versions apt would install for the packages that matter
# (the host's apt for the host's own release, a private apt state in
# $CACHE/apt/SUITE, refreshed daily, for another), the suite and a hash of the
# recipe (images_recipe): a new Debian point release or a change of the recipe
# builds a fresh image; anything else reuses it. Images of a release not used for a day are
# removed when another one of that release is built.
#
# A release other than the host's also gets a build root (buildroot/KEY: the
# suite's compiler, meson and -dev packages), where our binaries are built
# against that release's libraries (xen-utils-4.20 needs trixie's libc).

XEN_MIRROR=${XENCHANNEL_XEN_MIRROR:-http://deb.debian.org/debian}
XEN_SECURITY_MIRROR=${XENCHANNEL_XEN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

# xen_release NAME: the per-release facts
xen_release() {
	local ssl
	case $1 in
	bookworm) XEN_VERSION=4.17 ssl=libssl3 ;;
	trixie) XEN_VERSION=4.20 ssl=libssl3t64 ;;
	*) die "unknown release '$1' (known: bookworm = Xen 4.17, trixie = Xen 4.20)" ;;
	esac
	XEN_SUITE=$1
	# packages whose versions key the cache
	XEN_KEY_PACKAGES="xen-utils-$XEN_VERSION xen-hypervisor-$XEN_VERSION-amd64 qemu-system-xen
linux-image-amd64 udev libxenstore4 libjansson4 $ssl libyaml-0-2 busybox-static iproute2 linux-perf"
	XEN_ROOTFS_PACKAGES="xen-utils-$XEN_VERSION,xenstore-utils,qemu-system-xen,socat,busybox-static,\
kmod,procps,iproute2,udev,libjansson4,$ssl,libyaml-0-2,psmisc,openssh-client,python3,linux-perf,\
qemu-guest-agent,e2fsprogs"
	XEN_BUILD_PACKAGES="build-essential,pkg-config,meson,ninja-build,python3,debhelper,libxen-dev,libjansson-dev,\
libssl-dev,libyaml-dev"
	XEN_HOST_SUITE=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
}

xen_sources() { # the suite's apt sources, one line each
	echo "deb $XEN_MIRROR $XEN_SUITE main"
	echo "deb $XEN_MIRROR $XEN_SUITE-updates main"
	echo "deb $XEN_SECURITY_MIRROR $XEN_SUITE-security main"
}

# xen_apt ARGS...: apt-cache for the release: the host's own, or a private
# state (lists refreshed when older than a day; the host keeps its own lists)
xen_apt() {
	if [ "$XEN_SUITE" = "$XEN_HOST_SUITE" ]; then
		apt-cache "$@"
		return
	fi
	local d=$CACHE/apt/$XEN_SUITE
	local o=(-o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache"
		-o "Dir::Etc::SourceList=$d/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
		-o "Dir::State::status=/dev/null")
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	xen_sources >"$d/sources.list.new"
	if ! cmp -s "$d/sources.list.new" "$d/sources.list" ||
		[ -z "$(find "$d/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
		mv "$d/sources.list.new" "$d/sources.list"
		apt-get "${o[@]}" update -q >"$d/update.log" 2>&1 ||
			log "image: apt-get update for $XEN_SUITE failed (see $d/update.log); using older lists"
	fi
	rm -f "$d/sources.list.new"
	apt-cache "${o[@]}" "$@"
}

# xen_key PACKAGES RECIPE: hash of the candidate versions of PACKAGES (one
# apt-cache call), the suite and RECIPE (what else decides the result)
xen_key() {
	local vers
	# shellcheck disable=SC2086
	vers=$(xen_apt policy $1 2>/dev/null | awk '
		/^[^ ].*:$/ { p = substr($0, 1, length($0) - 1) }
		/^  Candidate:/ { printf " %s=%s", p, $2 }')
	printf '%s\n' "$XEN_SUITE$vers" "$2" | sha256sum | cut -c1-16
}

# images_recipe: what builds an image, apart from the package versions: the
# functions below and the package list (not the cache and apt helpers)
images_recipe() {
	{ declare -f module_closure copy_with_libs mmdebstrap_suite build_rootfs build_images; echo "$XEN_ROOTFS_PACKAGES"; } |
		sha256sum | cut -c1-16
}

# module_closure DIR NAME...: the files (relative to the modules directory
# DIR) of the modules NAME and of every module they depend on (modinfo; names
# match files with '-' or '_', compressed with xz or not; the dependencies are
# read from the module's .modinfo strings: the host need not have kmod)
module_closure() {
	local dir=$1 n f d seen=" "
	shift
	set -- "$@"
	while [ $# -gt 0 ]; do
		n=$1
		shift
		case $seen in *" $n "*) continue ;; esac
		seen="$seen$n "
		f=$(cd "$dir" && find kernel -name "$(echo "$n" | sed 's/[-_]/[-_]/g').ko*" | head -n1)
		[ -n "$f" ] || die "image: module $n is not in the kernel package"
		echo "$f"
		d=$(case $f in *.xz) xz -dc ;; *) cat ;; esac <"$dir/$f" | tr '\0' '\n' |
			sed -n 's/^depends=//p' | head -n1 | tr ',' ' ')
		# shellcheck disable=SC2086
		set -- "$@" $d
	done
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

# mmdebstrap_suite DIR PACKAGES [HOOK...]: a minbase root of the release
mmdebstrap_suite() {
	local dir=$1 pkgs=$2 s src=()
	shift 2
	while read -r s; do src+=("$s"); done < <(xen_sources)
	mmdebstrap --variant=minbase --mode=root --include="$pkgs" "$@" \
		"$XEN_SUITE" "$dir" "${src[@]}" >"$dir.log" 2>&1 ||
		{ tail -n 30 "$dir.log" >&2; die "image: mmdebstrap $XEN_SUITE failed (log $dir.log)"; }
}

build_rootfs() { # $1: target dir
	local dir=$1
	log "image: mmdebstrap $XEN_SUITE (+updates, +security) with Xen $XEN_VERSION tools, QEMU xenpv, udev, perf"
	mmdebstrap_suite "$dir" "$XEN_ROOTFS_PACKAGES" \
		--customize-hook='mkdir -p "$1/xentest-debs" && chroot "$1" sh -c "cd /xentest-debs && apt-get download -q xen-hypervisor-'"$XEN_VERSION"'-amd64 linux-image-amd64 >/dev/null && k=\$(dpkg-deb -f linux-image-amd64_*.deb Depends | grep -o \"linux-image-[0-9][^ ,]*\") && apt-get download -q \$k >/dev/null"'
}

# images_prune DIR: remove this release's other images and build roots not
# used for a day (several source trees may share the cache with other recipes)
images_prune() {
	local f
	for f in "$(dirname "$1")"/*; do
		[ "$f" = "$1" ] || [ ! -d "$f" ] && continue
		[ "$(cat "$f/release" 2>/dev/null || echo bookworm)" = "$XEN_SUITE" ] || continue
		[ -n "$(find "$f/.used" "$f/.complete" -mmin -1440 2>/dev/null)" ] && continue
		rm -rf "$f"
	done
}

build_images() { # sets IMG to the image directory
	local key tmp kver m f pm
	key=$(xen_key "$XEN_KEY_PACKAGES" "$(images_recipe)")
	IMG=$CACHE/images/$key
	if [ -e "$IMG/.complete" ]; then
		log "image: cached $IMG"
		touch "$IMG/.used"
		return 0
	fi
	mkdir -p "$CACHE/images"
	exec 8>"$CACHE/images/.lock"
	flock -w 900 8 || die "image: cannot lock $CACHE/images/.lock"
	if [ -e "$IMG/.complete" ]; then exec 8>&-; touch "$IMG/.used"; return 0; fi
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
	# bookworm's kernel package has /lib/modules, trixie's /usr/lib/modules
	pm=
	for f in "$tmp"/pkg/lib/modules/* "$tmp"/pkg/usr/lib/modules/*; do [ -d "$f" ] && pm=$f; done
	[ -n "$pm" ] || die "image: no modules directory in the kernel package"
	kver=$(basename "$pm")
	echo "$kver" >"$tmp/boot/kver"
	# modules: Xen's drivers, the dummy netdev, and loop + ext4 (the qemu-ga
	# scenario freezes an ext4 file system), with every module they depend on
	m=$tmp/rootfs/usr/lib/modules/$kver
	rm -rf "$m"
	mkdir -p "$m/kernel/drivers"
	cp -a "$pm/kernel/drivers/xen" "$m/kernel/drivers/"
	for f in $(module_closure "$pm" dummy loop ext4 crc32c_generic); do
		mkdir -p "$m/$(dirname "$f")"
		cp -a "$pm/$f" "$m/$f"
	done
	cp "$pm"/modules.builtin* "$pm/modules.order" "$m/"
	chroot "$tmp/rootfs" depmod "$kver"
	rm -rf "$tmp/pkg"
	chroot "$tmp/rootfs" dpkg-query -W -f '${Package} ${Version}\n' >"$tmp/manifest.txt"
	echo "$XEN_SUITE" >"$tmp/release"

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
	touch "$tmp/.complete" "$tmp/.used"
	rm -rf "$IMG"
	mv "$tmp" "$IMG"
	images_prune "$IMG"
	exec 8>&-
	log "image: built $IMG ($(du -sm "$IMG" | cut -f1) MiB)"
}

# build_root: sets BROOT to a root of the release with our build dependencies
# (only for a release other than the host's)
build_root() {
	local key tmp
	key=$(xen_key "${XEN_BUILD_PACKAGES//,/ } gcc-14" "build root: $XEN_BUILD_PACKAGES")
	BROOT=$CACHE/buildroot/$key
	if [ ! -e "$BROOT/.complete" ]; then
		mkdir -p "$CACHE/buildroot"
		exec 8>"$CACHE/buildroot/.lock"
		flock -w 900 8 || die "build root: cannot lock $CACHE/buildroot/.lock"
		if [ ! -e "$BROOT/.complete" ]; then
			tmp=$CACHE/buildroot/.build-$key
			rm -rf "$tmp"
			log "build root: mmdebstrap $XEN_SUITE with meson, gcc, libxen-dev $XEN_VERSION"
			mmdebstrap_suite "$tmp" "$XEN_BUILD_PACKAGES"
			echo "$XEN_SUITE" >"$tmp/release"
			mkdir -p "$tmp/src"
			touch "$tmp/.complete"
			mv "$tmp" "$BROOT"
		fi
		exec 8>&-
	fi
	touch "$BROOT/.used"
	images_prune "$BROOT"
}
