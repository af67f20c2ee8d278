#!/usr/bin/env bash
# e2e-cloudinit-wait-seed: first boot ordering. `xenchannel-agent
# --wait-seed SEC` (xenchannel-seed.service, before cloud-init's local stage)
# serves the channel until the host's seed is in place and then exits, so
# cloud-init finds the seed on its first run; it does not wait at all in a
# guest without a channel, nor when the guest's channels are all set up and
# none is the agent's, nor when a seed is there already; it waits at most
# SEC. On the host, `provision --wait-agent SEC` waits for the domain, its
# channel, the backend and the agent to appear, so provisioning started
# before the guest exists is the whole flow.
source "$SRC_DIR/tests/e2e/cloudinit/common.sh"
sim_start
daemon_start
SEED=$E2E_TMP/seed
seed_write "$SEED" waited

# wait_seed NAME DOM SEC: the oneshot in guest DOM, in the background.
wait_seed() {
	bg "$1" "$XENSIM" exec "$2" -- "$XENCHANNEL_AGENT" --kernel off --wait-seed "$3"
	WS_PID=$LAST_PID
}
# finished PID SECS: the oneshot ended within SECS seconds with status 0;
# TOOK gets how long it still took. (An ended child stays a zombie until
# waited for: that is what is looked for.)
finished() {
	local t0=$SECONDS
	wait_for "$2" bash -c 's=$(ps -o stat= -p "$1"); [ -z "$s" ] || [ "${s#Z}" != "$s" ]' sh "$1" ||
		fail "the oneshot still runs after $2 s"
	wait "$1" || fail "the oneshot exited $?"
	TOOK=$((SECONDS - t0))
}

# 1. No channel at all: no wait.
BARE=$("$XENSIM" create --name bare) || fail "xensim create bare"
wait_seed bare "$BARE" 60
finished "$WS_PID" 10
grep -q "no Xen channel in this guest: not waiting" "$E2E_TMP/bare.log" || fail "bare: $(cat "$E2E_TMP/bare.log")"

# 2. Channels, but not the agent's: no wait once udev has linked them all.
"$XENCHANNEL" attach bare "name=org.example.other.0,connection=pty" >/dev/null || fail "attach other"
wait_for 10 test -e "$XENSIM_RUN_DIR/domains/$BARE/root/dev/xen-channel/org.example.other.0" ||
	fail "no link for the other channel"
wait_seed other "$BARE" 60
finished "$WS_PID" 10
grep -q "all 1 channel(s) of this guest are set up and none is $AG_NAME" "$E2E_TMP/other.log" ||
	fail "other: $(cat "$E2E_TMP/other.log")"

# 3. The agent's channel and no host: at most SEC seconds.
agent_setup_more() {
	DOM=$("$XENSIM" create --name "$1") || fail "xensim create $1"
	"$XENCHANNEL" attach "$DOM" "name=$AG_NAME,connection=socket,path=$E2E_TMP/$1.sock" >/dev/null ||
		fail "attach $1"
	ROOT=$XENSIM_RUN_DIR/domains/$DOM/root
	wait_for 10 test -e "$ROOT/dev/xen-channel/$AG_NAME" || fail "no channel link in $1"
}
agent_setup_more lonely
wait_seed lonely "$DOM" 1
finished "$WS_PID" 10
[ "$TOOK" -le 5 ] || fail "--wait-seed 1 took $TOOK s"
grep -q "no NoCloud seed from the host within 1 s" "$E2E_TMP/lonely.log" || fail "lonely: $(cat "$E2E_TMP/lonely.log")"

# 4. The host first: provisioning starts before the guest even exists,
# then the domain, its channel and the oneshot come; the oneshot exits as
# soon as the seed is in place, and the host is done too.
bg provision "$XENCHANNEL" provision --json --wait-agent 60 --timeout 20 --nocloud "$SEED" late
PROV=$LAST_PID
agent_setup_more late
wait_seed late "$DOM" 60
finished "$WS_PID" 60
wait "$PROV" || fail "provision --wait-agent failed: $(cat "$E2E_TMP/provision.log")"
grep -q "NoCloud seed in place: done" "$E2E_TMP/late.log" || fail "late: $(cat "$E2E_TMP/late.log")"
S=$ROOT/var/lib/cloud/seed/nocloud
for f in meta-data user-data network-config vendor-data; do
	cmp "$SEED/$f" "$S/$f" || fail "$f not in the late guest"
done
python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))[0]; assert t["ok"], t' "$E2E_TMP/provision.log" ||
	fail "provision: $(cat "$E2E_TMP/provision.log")"

# 5. A seed is there already (a later boot): no wait.
wait_seed again "$DOM" 60
finished "$WS_PID" 10
grep -q "a NoCloud seed is in /var/lib/cloud/seed/nocloud already: not waiting" "$E2E_TMP/again.log" ||
	fail "again: $(cat "$E2E_TMP/again.log")"

# 6. --wait-agent is bounded: a guest that never comes.
t0=$SECONDS
rc=0
"$XENCHANNEL" provision --wait-agent 1 --timeout 1 --nocloud "$SEED" never >"$E2E_TMP/never.out" || rc=$?
[ $rc -eq 1 ] || fail "provision for a missing guest exited $rc"
[ $((SECONDS - t0)) -le 6 ] || fail "--wait-agent 1 --timeout 1 took $((SECONDS - t0)) s"
grep -q "no such domain (waited [12]\.[0-9] s)" "$E2E_TMP/never.out" || fail "never: $(cat "$E2E_TMP/never.out")"

pass "--wait-seed waits only for a channel of its own, at most SEC, exits once the seed is in place; --wait-agent covers create-then-provision"
