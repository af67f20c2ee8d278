#!/usr/bin/env bash
# e2e-follow-create: `xenchannel create vm.cfg` declares vm.cfg's channels,
# then runs `xl create -p` with the config minus its channel= settings (every
# other byte kept), waits for xenchanneld's verdict on each channel and
# unpauses: the guest finds them at its first probe, and xl never saw a
# channel (so it would start no QEMU for them). XENCHANNEL_XL points at a fake
# xl that records its arguments and config and hands them to xensim, whose
# create/unpause take what xl's do. --dry-run changes nothing; a failing xl
# keeps the declaration; the config xl got, created again (as `xl reboot`
# does), gets the same channels at the same devids.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/daemon/daemon-lib.sh"
export XENCHANNEL_DOMAINS_DIR="$E2E_TMP/domains"
D=$XENCHANNEL_DOMAINS_DIR
A=org.xenchannel.agent.0 P=org.example.debug.0 X=org.example.extra.0

sim_start
sd=$(sockdir)
cat >"$E2E_TMP/fake-xl" <<EOF2
#!/bin/sh
# records each call, and the config of a create, then acts as xensim
echo "\$*" >>"$E2E_TMP/xl.calls"
if [ "\$1" = create ]; then
	for a; do cfg=\$a; done
	cp "\$cfg" "$E2E_TMP/xl-got.cfg"
	case \$cfg in */failing.cfg) exit 3 ;; esac
fi
exec "$XENSIM" "\$@"
EOF2
chmod +x "$E2E_TMP/fake-xl"
export XENCHANNEL_XL="$E2E_TMP/fake-xl"

cat >"$E2E_TMP/vm.cfg" <<CFG
# web3: two channels in a list over two lines, one more appended
name = "web3"
memory = 512
channel = [ "name=$A,connection=socket,path=$sd/web3.sock",
            "name=$P,connection=pty" ]
vcpus = 2 ; channel += [ "name=$X,connection=pty" ]   # the extra one
on_reboot = "restart"
CFG
cat >"$E2E_TMP/want.cfg" <<CFG
# web3: two channels in a list over two lines, one more appended
name = "web3"
memory = 512
vcpus = 2 ;    # the extra one
on_reboot = "restart"
CFG

# --- dry run: what it would do, nothing done
"$XENCHANNEL" create --dry-run "$E2E_TMP/vm.cfg" >"$E2E_TMP/dry" || fail "create --dry-run"
[ ! -e "$D/web3.cfg" ] && [ ! -e "$E2E_TMP/xl.calls" ] || fail "--dry-run did something"
grep -qxF "# declaration $D/web3.cfg" "$E2E_TMP/dry" || fail "dry run: no declaration: $(cat "$E2E_TMP/dry")"
grep -qxF "    \"name=$X,connection=pty,devid=3\"," "$E2E_TMP/dry" || fail "dry run: devid 3"
grep -qxF "# command: $XENCHANNEL_XL create -p STRIPPED.cfg" "$E2E_TMP/dry" || fail "dry run: command"
sed -n '/^# STRIPPED.cfg$/,$p' "$E2E_TMP/dry" | tail -n +2 | diff -u "$E2E_TMP/want.cfg" - ||
	fail "dry run: the stripped config"

# --- the real thing
daemon_start
"$XENCHANNEL" create "$E2E_TMP/vm.cfg" >"$E2E_TMP/create.out" 2>&1 || fail "create: $(cat "$E2E_TMP/create.out")"
dom=$(xenstore-read /local/domain/1/name >/dev/null 2>&1 && echo 1)
[ "$dom" = 1 ] || fail "no domain 1"
diff -u "$E2E_TMP/want.cfg" "$E2E_TMP/xl-got.cfg" || fail "the config xl got"
diff -u - "$E2E_TMP/xl.calls" <<EOT || fail "xl calls"
create -p $(sed -n 's/^create -p //p' "$E2E_TMP/xl.calls")
unpause 1
EOT
grep -q "^create -p .*/xenchannel-create\.[^/]*/web3\.cfg$" "$E2E_TMP/xl.calls" || fail "xl create's file"
tmpcfg=$(sed -n 's/^create -p //p' "$E2E_TMP/xl.calls")
[ ! -e "$tmpcfg" ] && [ ! -e "$(dirname "$tmpcfg")" ] || fail "temporary config left: $tmpcfg"
"$XENCHANNEL" list --defined web3 | awk 'NR > 1 { print $3, $4 }' >"$E2E_TMP/decl"
printf '1 %s\n2 %s\n3 %s\n' "$A" "$P" "$X" | diff -u - "$E2E_TMP/decl" || fail "declaration"
for id in 1 2 3; do
	xs_wait "$(fe_dir 1 $id)/state" 4 || fail "channel $id not Connected"
done
"$XENSIM" list | grep -q "^web3 .* running" || fail "web3 not running: $("$XENSIM" list)"
guest_settle 1
for n in $A $P $X; do
	[ -c "$XENSIM_RUN_DIR/domains/1/root/dev/xen-channel/$n" ] || fail "no /dev/xen-channel/$n"
done

# --- xl reboot creates the domain again from the config it got: same devids
"$XENSIM" destroy web3 2>>"$E2E_TMP/xensim.log" || fail "destroy"
wait_for 10 bash -c "[ ! -e '$sd/web3.sock' ]" || fail "socket left after destroy"
dom2=$("$XENSIM" create "$E2E_TMP/xl-got.cfg" 2>>"$E2E_TMP/xensim.log") || fail "create again"
for id in 1 2 3; do
	xs_wait "$(fe_dir "$dom2" $id)/state" 4 || fail "again: channel $id not Connected"
done
"$XENCHANNEL" list web3 | awk 'NR > 1 { print $3, $4 }' | diff -u "$E2E_TMP/decl" - ||
	fail "devids after the domain was created again"
"$XENSIM" destroy web3 2>>"$E2E_TMP/xensim.log" || fail "destroy again"

# --- -p: left paused, its channels already there
printf 'name = "web4"\nchannel = [ "name=%s,connection=pty" ]\n' "$A" >"$E2E_TMP/web4.cfg"
: >"$E2E_TMP/xl.calls"
"$XENCHANNEL" create -p "$E2E_TMP/web4.cfg" 2>"$E2E_TMP/err" || fail "create -p: $(cat "$E2E_TMP/err")"
[ "$(cat "$E2E_TMP/xl.calls")" = "create -p $(sed -n 's/^create -p //p' "$E2E_TMP/xl.calls")" ] ||
	fail "create -p: calls $(cat "$E2E_TMP/xl.calls")"
dom4=$("$XENSIM" list | awk '$1 == "web4" { print $2 }')
"$XENSIM" list | grep -q "^web4 .* paused" || fail "web4 not paused"
[ "$(xenstore-read "$(be_dir "$dom4" 1)/hotplug-status")" = connected ] || fail "web4: no verdict"
"$XENSIM" destroy web4 2>>"$E2E_TMP/xensim.log"

# --- no xenchanneld: a warning after --timeout, the domain starts anyway
daemon_stop
printf 'name = "web5"\nchannel = [ "name=%s,connection=pty" ]\n' "$A" >"$E2E_TMP/web5.cfg"
"$XENCHANNEL" create --timeout 1 "$E2E_TMP/web5.cfg" 2>"$E2E_TMP/err" || fail "create without a daemon"
grep -q "warning: no backend took channel 1 of domain [0-9]* within 1 s: is xenchanneld running? It is not: no process holds .*xenchanneld.lock" \
	"$E2E_TMP/err" || fail "no warning: $(cat "$E2E_TMP/err")"
"$XENSIM" list | grep -q "^web5 .* running" || fail "web5 not running"

# --- xl fails: status 1, the declaration stays
printf 'name = "failing"\nchannel = [ "name=%s,connection=pty" ]\n' "$A" >"$E2E_TMP/failing.cfg"
rc=0
"$XENCHANNEL" create "$E2E_TMP/failing.cfg" 2>"$E2E_TMP/err" || rc=$?
[ $rc = 1 ] || fail "a failing xl: status $rc"
grep -qF "\`$XENCHANNEL_XL create' failed (status 3); the declaration stays (xenchannel undefine failing removes it)" \
	"$E2E_TMP/err" || fail "message: $(cat "$E2E_TMP/err")"
[ -e "$D/failing.cfg" ] || fail "declaration gone"

# --- usage: an xl option not passed through, a bad file
rc=0
"$XENCHANNEL" create -V "$E2E_TMP/vm.cfg" 2>/dev/null || rc=$?
[ $rc = 2 ] || fail "create -V: status $rc"
rc=0
printf 'name = "bad"\nchannel = [ "name=bad,connection=pty" ]\n' >"$E2E_TMP/bad.cfg"
"$XENCHANNEL" create "$E2E_TMP/bad.cfg" 2>"$E2E_TMP/err" || rc=$?
[ $rc = 1 ] && grep -qF "$E2E_TMP/bad.cfg:2:19: channel[0]: name \`bad'" "$E2E_TMP/err" ||
	fail "a bad config: status $rc, $(cat "$E2E_TMP/err")"
[ ! -e "$D/bad.cfg" ] || fail "a bad config was declared"
pass "create: declared, xl got the config without channels, channels before unpause, same devids again"
