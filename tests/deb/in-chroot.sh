#!/bin/bash
# The steps of tests/deb/run, inside the chroot: in-chroot.sh OLD NEW, with
# the packages in /tmp/v1 (OLD) and /tmp/v2 (NEW). One PASS/FAIL line each.
set -uo pipefail
old=$1 new=$2
fails=0
ok() { echo "PASS: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
die() { echo "FAIL: $*"; exit 1; }

# Every file outside the kernel's, the runtime's and dpkg's/apt's own state.
files() {
	find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp \
		-o -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/cache -o -path /var/log \) \
		-prune -o -print | sort
}

# xs_wait PATH VALUE: until xenstore PATH reads VALUE, driven by a watch (30 s).
xs_wait() {
	local v line
	coproc W { exec timeout 30 xenstore-watch "$1" 2>/dev/null; }
	while :; do
		v=$(xenstore-read "$1" 2>/dev/null || true)
		[ "$v" = "$2" ] && break
		read -r -t 30 -u "${W[0]}" line || break
	done
	kill "$W_PID" 2>/dev/null
	wait "$W_PID" 2>/dev/null
	[ "$v" = "$2" ]
}

# poll (bounded) for what no event announces: a process gone, a counter
until_ok() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
}

files >/tmp/before

# --- install
dpkg -i /tmp/v1/xenchannel-guest_*.deb /tmp/v1/xenchannel_*.deb /tmp/v1/xensim_*.deb \
	>/tmp/dpkg-install.log 2>&1 || die "install: $(tail -5 /tmp/dpkg-install.log)"
missing=""
for f in /usr/sbin/xenchanneld /usr/sbin/xenchannel /usr/sbin/xenchannel-agent \
	/usr/lib/udev/rules.d/90-xen-channel.rules /usr/lib/udev/rules.d/91-xenchannel-agent.rules \
	/usr/lib/udev/xen-console-setup /lib/systemd/system/xenchanneld.service \
	/lib/systemd/system/xenchannel-agent@.service /lib/systemd/system/xenchannel-qemu-ga@.service \
	/lib/systemd/system/xenchannel-seed.service /etc/cloud/cloud.cfg.d/99-xenchannel.cfg \
	/usr/share/xenchannel/channel-registry \
	/usr/bin/xensim /usr/libexec/xenchannel/xensim-guest /usr/share/man/man8/xenchannel.8.gz \
	/usr/share/bash-completion/completions/xenchannel /etc/xenchannel/domains; do
	[ -e "$f" ] || missing="$missing $f"
done
[ -z "$missing" ] || bad "install: missing$missing"
[ -L /etc/systemd/system/multi-user.target.wants/xenchanneld.service ] ||
	bad "install: xenchanneld.service is not enabled"
ls /etc/systemd/system/*/xenchannel-agent@*.service /etc/systemd/system/*/xenchannel-qemu-ga@*.service \
	>/dev/null 2>&1 && bad "install: an agent's unit is enabled (udev starts them)"
[ -L /etc/systemd/system/cloud-init-local.service.wants/xenchannel-seed.service ] ||
	bad "install: xenchannel-seed.service is not enabled before cloud-init-local.service"
for b in xenchanneld xenchannel xenchannel-agent xensim; do
	"$b" --version >/dev/null 2>&1 || bad "install: $b --version does not run"
done
[ $fails = 0 ] && ok "install $old: files, xenchanneld.service enabled, binaries run"

# --- run: the installed tools, a declared channel, 64 KiB waiting in it
eval "$(xensim env)"
xensim start >/tmp/xensim.log 2>&1 || die "xensim start: $(cat /tmp/xensim.log)"
mkdir -m 0755 -p /run/xc
xenchannel define web1 "name=org.xenchannel.agent.0,connection=socket,path=/run/xc/web1.sock" \
	>/dev/null || die "define"
[ -f /etc/xenchannel/domains/web1.cfg ] || bad "define did not write /etc/xenchannel/domains/web1.cfg"
xenchanneld -e -p /run/xc/xcd.pid 2>>/tmp/xcd.log || die "xenchanneld: $(cat /tmp/xcd.log)"
dom=$(xensim create --name web1 2>>/tmp/xensim.log) || die "xensim create"
xs_wait "/local/domain/$dom/device/console/1/state" 4 || die "the declared channel is not Connected"
link=$XENSIM_RUN_DIR/domains/$dom/root/dev/xen-channel/org.xenchannel.agent.0
until_ok 10 test -c "$link" || die "no $link"
head -c 65536 /dev/urandom >/tmp/sent
# one open of the tty for both: its settings go with the last close
(exec 3<>"$link" && stty raw -echo <&3 && cat /tmp/sent >&3) &
writer=$!
stats() { printf 'stats\n' | socat -t5 - "UNIX-CONNECT:$XENSIM_RUN_DIR/xenchanneld/control.sock"; }
full() { stats | grep -q '"ring_out_pending":2048'; }
until_ok 30 full || die "the guest did not fill the ring: $(stats)"
ok "run: declared channel Connected on the installed daemon, the guest's data waiting in the ring"

# --- upgrade: SIGTERM (as systemd's restart), new packages, start again
kill -TERM "$(cat /run/xc/xcd.pid)"
until_ok 10 test ! -e /run/xc/xcd.pid || die "xenchanneld did not stop"
dpkg -i /tmp/v2/xenchannel-guest_*.deb /tmp/v2/xenchannel_*.deb /tmp/v2/xensim_*.deb \
	>/tmp/dpkg-upgrade.log 2>&1 || die "upgrade: $(tail -5 /tmp/dpkg-upgrade.log)"
[ "$(dpkg-query -W -f '${Version}' xenchannel)" = "$new" ] || bad "upgrade: version is not $new"
xenchanneld -e -p /run/xc/xcd.pid 2>>/tmp/xcd.log || die "xenchanneld after the upgrade"
grep -q "1 adopted" /tmp/xcd.log || bad "upgrade: the channel was not adopted: $(tail -3 /tmp/xcd.log)"
timeout 60 socat -u UNIX-CONNECT:/run/xc/web1.sock - 2>/dev/null | head -c 65536 >/tmp/got
wait "$writer" || bad "upgrade: the guest's writer failed"
if cmp -s /tmp/sent /tmp/got; then
	ok "upgrade $old -> $new: adopted, 65536 bytes arrived intact ($(sha256sum </tmp/got | cut -c1-16))"
else
	bad "upgrade: $(wc -c </tmp/got) bytes arrived of 65536, or they differ"
fi
[ -f /etc/xenchannel/domains/web1.cfg ] || bad "upgrade lost the declaration"
kill -TERM "$(cat /run/xc/xcd.pid)"
until_ok 10 test ! -e /run/xc/xcd.pid || bad "xenchanneld did not stop"
xensim stop >/dev/null 2>&1 || bad "xensim stop"

# --- purge: nothing left
dpkg --purge xensim xenchannel-guest xenchannel >/tmp/dpkg-purge.log 2>&1 ||
	die "purge: $(tail -5 /tmp/dpkg-purge.log)"
files >/tmp/after
if diff -u /tmp/before /tmp/after >/tmp/purge.diff; then
	ok "purge: the file list equals the one before install"
else
	bad "purge left: $(grep '^[+-]/' /tmp/purge.diff | tr '\n' ' ')"
fi
exit $((fails > 0))
