#!/usr/bin/env bash
# Every refusal says what and why, and changes nothing.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/toolstack/common.sh"
[ -x "$XENSIM" ] || skip "xensim not built"

expect_fail 1 "xenstore unreachable: cannot connect to $E2E_TMP/nowhere/socket \\(from XENSTORED_PATH\\)" \
	env XENSTORED_PATH="$E2E_TMP/nowhere/socket" "$XENCHANNEL" list

sim_start
A=$("$XENSIM" create --name alpha) || fail "create alpha"
B=$("$XENSIM" create --name beta) || fail "create beta"
"$XENCHANNEL" attach --no-wait alpha "name=org.example.one.0,connection=socket,path=$E2E_TMP/one.sock" >/dev/null ||
	fail "attach"
before=$(xenstore-ls -f -p / | grep -v -e '/state = ' -e '/ring-ref = ' -e '/port = ')

expect_fail 1 "unknown domain \`gamma'" "$XENCHANNEL" attach --no-wait gamma "name=org.example.x.0,connection=pty"
expect_fail 1 "unknown domain 4242" "$XENCHANNEL" attach --no-wait 4242 "name=org.example.x.0,connection=pty"
expect_fail 1 "domain $A already has a channel named \`org.example.one.0' \\(devid 1\\)" \
	"$XENCHANNEL" attach --no-wait alpha "name=org.example.one.0,connection=pty"
expect_fail 1 "path $E2E_TMP/one.sock is already used by channel \`org.example.one.0' \\(devid 1\\) of domain $A" \
	"$XENCHANNEL" attach --no-wait beta "name=org.example.two.0,connection=socket,path=$E2E_TMP/one.sock"
expect_fail 1 "spec:1:6: channel\\[0\\]: name \`agent' is not reverse-domain style" \
	"$XENCHANNEL" attach --no-wait alpha "name=agent,connection=pty"
expect_fail 1 "spec:1:[0-9]+: channel\\[0\\]: connection=socket needs path=" \
	"$XENCHANNEL" attach --no-wait alpha "name=org.example.x.0,connection=socket"
expect_fail 1 "differs only in case from the registered name \`org.xenchannel.agent.0'" \
	"$XENCHANNEL" attach --no-wait alpha "name=Org.Xenchannel.Agent.0,connection=pty"
expect_fail 1 "domain $A has no channel named \`org.example.nope.0'" \
	"$XENCHANNEL" detach alpha org.example.nope.0
expect_fail 1 "devid 0 is the primary console" "$XENCHANNEL" detach alpha 0
expect_fail 2 "usage: xenchannel attach" "$XENCHANNEL" attach --no-wait alpha
expect_fail 2 "unknown command" "$XENCHANNEL" frobnicate
after=$(xenstore-ls -f -p / | grep -v -e '/state = ' -e '/ring-ref = ' -e '/port = ')
[ "$before" = "$after" ] || fail "a refused command changed xenstore: $(diff <(echo "$before") <(echo "$after"))"

# Seven channels fit; the eighth needs --force; devid 10 needs --force too.
for i in 2 3 4 5 6 7; do
	"$XENCHANNEL" attach --no-wait alpha "name=org.example.n.$i,connection=pty" >/dev/null || fail "attach $i"
done
expect_fail 1 "domain $A already has 7 channels: Linux guests expose only hvc0-hvc7" \
	"$XENCHANNEL" attach --no-wait alpha "name=org.example.n.8,connection=pty"
[ "$("$XENCHANNEL" attach --no-wait --force alpha "name=org.example.n.8,connection=pty")" = 8 ] || fail "--force 8"
[ "$("$XENCHANNEL" attach --no-wait --force alpha "name=org.example.n.9,connection=pty")" = 9 ] || fail "--force 9"
expect_fail 1 "next free devid of domain $A is 10: Linux reads only the last digit" \
	"$XENCHANNEL" attach --no-wait alpha "name=org.example.n.10,connection=pty"
[ "$("$XENCHANNEL" attach --no-wait --force alpha "name=org.example.n.10,connection=pty")" = 10 ] || fail "--force 10"
pass "errors"
