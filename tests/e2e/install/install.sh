#!/usr/bin/env bash
# `meson install` gives a working system: installed into a DESTDIR with the
# build's prefix, the systemd units name binaries that are installed there,
# every binary in a user path has its man page, and the installed xensim,
# xenchanneld and xenchannel (nothing from the build tree) run a small flow:
# create a domain, attach a channel, list it; the installed xensim finds the
# installed xensim-guest, which finds the installed udev rule and helper.
source "$SRC_DIR/tests/e2e/lib.sh"
D=$E2E_TMP/dest
meson install -C "$BUILD_DIR" --destdir "$D" --no-rebuild --quiet >"$E2E_TMP/install.log" 2>&1 ||
	fail "meson install: $(tail -5 "$E2E_TMP/install.log")"
eval "$(meson introspect "$BUILD_DIR" --buildoptions | python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
p = o["prefix"]
for k in ("bindir", "sbindir", "libexecdir", "datadir", "mandir"):
    v = o[k] if o[k].startswith("/") else p + "/" + o[k]
    print("%s=%s" % (k.upper(), v))
print("PREFIX=" + p)')"

# The units: every program they start is installed, under the prefix.
units=$(find "$D" -name '*.service' -path '*/systemd/system/*')
[ -n "$units" ] || fail "no systemd unit installed"
for u in $units; do
	case $u in "$D$PREFIX"/*) ;; *) fail "unit $u is not under the prefix $PREFIX" ;; esac
	grep -qE '@[a-z_]+@' "$u" && fail "unit $u has an unsubstituted @...@: $(grep -E '@[a-z_]+@' "$u")"
	while IFS= read -r line; do
		prog=${line#*=}
		prog=${prog%% *}
		prog=${prog#[-@+!:]}
		[ "$prog" = /bin/kill ] && continue
		case $prog in "$PREFIX"/*) ;; *) fail "$u: $line: not under the prefix $PREFIX" ;; esac
		[ -x "$D$prog" ] || fail "$u: $line: $prog is not installed"
	done < <(grep -E '^Exec[A-Za-z]*=' "$u")
done

# Every binary in a user path has its man page; xensim-guest is not in one.
for b in "$D$BINDIR"/* "$D$SBINDIR"/*; do
	n=${b##*/}
	ls "$D$MANDIR"/man?/"$n".[18]* >/dev/null 2>&1 || fail "installed $n has no man page"
done
[ -x "$D$LIBEXECDIR/xenchannel/xensim-guest" ] || fail "xensim-guest not in $LIBEXECDIR/xenchannel"
[ ! -e "$D$BINDIR/xensim-guest" ] || fail "xensim-guest is in a user path"

for c in xenchannel xensim; do
	[ -f "$D$DATADIR/bash-completion/completions/$c" ] || fail "no bash completion installed for $c"
done

# The flow, with the installed binaries only.
XENSIM=$D$BINDIR/xensim
XENCHANNELD=$D$SBINDIR/xenchanneld
XENCHANNEL=$D$SBINDIR/xenchannel
export XENCHANNEL_REGISTRY=$D$DATADIR/xenchannel/channel-registry # staged, not at its final path
"$XENSIM" --version | grep -qF "$(meson introspect "$BUILD_DIR" --projectinfo | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')" ||
	fail "installed xensim --version"
sim_start
[ "$(readlink "/proc/$(cat "$XENSIM_RUN_DIR/xensim.pid")/exe")" = "$XENSIM" ] || fail "not the installed xensim"
DOM=$("$XENSIM" create --name inst1) || fail "installed xensim create"
# create returns once the guest process is forked; its exec may come later
gpid=$(sim_guest_pid "$DOM")
[ -n "$gpid" ] || fail "no guest process for domain $DOM: $(tail -5 "$XENSIM_RUN_DIR/xensim.log")"
wait_for 20 bash -c '[ "$(readlink "/proc/$1/exe")" = "$2" ]' _ "$gpid" "$D$LIBEXECDIR/xenchannel/xensim-guest" ||
	fail "the guest runs $(readlink "/proc/$gpid/exe"), not the installed xensim-guest"
daemon_start
"$XENCHANNEL" attach inst1 "name=org.example.install.0,connection=pty" >"$E2E_TMP/attach.out" ||
	fail "installed xenchannel attach"
[ "$(cat "$E2E_TMP/attach.out")" = 1 ] || fail "attach printed $(cat "$E2E_TMP/attach.out")"
ROOT=$XENSIM_RUN_DIR/domains/$DOM/root
xs_wait "/local/domain/0/backend/console/$DOM/1/state" 4 || fail "the channel never connected"
guest_settle "$DOM"
"$XENCHANNEL" list >"$E2E_TMP/list.out" || fail "installed xenchannel list"
grep -E "^inst1 .* org\.example\.install\.0 +pty " "$E2E_TMP/list.out" >/dev/null ||
	fail "list does not show the channel: $(cat "$E2E_TMP/list.out")"
# The guest's udev rule and helper came from the installed tree.
[ -L "$ROOT/dev/xen-channel/org.example.install.0" ] || fail "no /dev/xen-channel link in the guest"
helper=$(readlink "$ROOT/lib/udev/xen-console-setup")
case $helper in "$D"/*) ;; *) fail "the guest's xen-console-setup is $helper, not the installed one" ;; esac
pass "installed into a DESTDIR (prefix $PREFIX): units name installed binaries, the installed tools run"
