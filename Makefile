# Thin entry point; the build itself is Meson + Ninja in build/.
BUILD ?= build

.PHONY: all check demo bench soak fuzz fuzz-minimize flake format check-xen check-xen-cloudinit bench-xen install deb check-deb clean

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	scripts/setup -q
	meson setup $(BUILD)

check:
	scripts/check

demo: all
	scripts/demo

bench: all
	scripts/bench

soak: all
	BUILD=$(BUILD) tests/soak/soak

fuzz:
	scripts/fuzz

fuzz-minimize:
	scripts/fuzz --minimize

flake:
	scripts/flake

format:
	scripts/style --fix

# XEN_RELEASE: bookworm (Xen 4.17), trixie (Xen 4.20) or all
XEN_RELEASE ?= all
check-xen: all
	tests/xen/run $(XEN_RELEASE)

# opt-in (several minutes; not in `make check`): cloud-init seeded over the channel
check-xen-cloudinit: all
	XENCHANNEL_XEN_CLOUDINIT=1 tests/xen/run $(XEN_RELEASE)

# opt-in benchmark (about 6 minutes a release): xenchanneld against QEMU's
# console backend on real Xen, same boot, table in the output (scenario 10)
bench-xen: all
	XENCHANNEL_XEN_SCENARIOS=10 tests/xen/run $(XEN_RELEASE)

# `make install [PREFIX=/usr] [DESTDIR=/staging]`: the prefix is meson's
# (set at setup, or here); units and paths follow it (tests/e2e/install).
install: all
	$(if $(PREFIX),meson configure $(BUILD) -Dprefix=$(PREFIX) && ninja -C $(BUILD))
	meson install -C $(BUILD) $(if $(DESTDIR),--destdir "$(DESTDIR)")

# Debian packages (debian/) into build/deb/, lintian-checked; check-deb
# installs, upgrades and purges them in a clean Debian 12 chroot (root).
deb:
	scripts/deb

check-deb: deb
	tests/deb/run

clean:
	rm -rf build build-asan build-fuzz build*.setup.log
