#!/usr/bin/env bash
# The directory the agent watches (/dev/xen-channel in the guest) is removed:
# the agent waits for it without burning CPU (it once spun on
# inotify_add_watch), and resumes when the directory and the link come back.
source "$SRC_DIR/tests/e2e/agent/common.sh"
agent_setup
agent_start
DEVDIR=$ROOT/dev/xen-channel
doc() { # GEN
	printf '{"generation": %s, "write_files": [{"path": "/etc/gen", "content": "%s"}]}' "$1" "$1" >"$E2E_TMP/doc$1.json"
	echo "$E2E_TMP/doc$1.json"
}
provision_json "$E2E_TMP/p1.json" "$DOM" --config "$(doc 1)" --timeout 20 ||
	fail "first provision: $(cat "$E2E_TMP/p1.json" "$E2E_TMP/p1.json.err")"
target=$(readlink "$DEVDIR/$AG_NAME")

# cpu_ticks PID: user + system time so far, in clock ticks (/proc/PID/stat
# fields 14 and 15, counted after the ")" that ends the command name).
cpu_ticks() { local s; s=$(<"/proc/$1/stat"); s=${s##*) }; awk '{print $12 + $13}' <<<"$s"; }

mark=$(log_mark "$AGENT_LOG")
rm -rf "$DEVDIR"
log_wait "$AGENT_LOG" "$mark" "closed \(device removed\)" >/dev/null || fail "the agent did not notice the removal"
# Some activity in the parent directory meanwhile, as udev would make.
for i in 1 2 3; do : >"$ROOT/dev/other$i"; rm "$ROOT/dev/other$i"; done
HZ=$(getconf CLK_TCK)
t0=$(cpu_ticks "$AGENT_PID")
sleep 2 # the interval measured, not a wait for an event
t1=$(cpu_ticks "$AGENT_PID")
used=$((t1 - t0))
echo "agent CPU while its directory is gone: $used ticks in 2 s (CLK_TCK $HZ)"
# A spinning agent used ~17% of a CPU; an idle one uses nothing. 5% is generous.
[ $((used * 100)) -le $((2 * HZ * 5)) ] || fail "agent used $used ticks of CPU in 2 s with its directory gone"
kill -0 "$AGENT_PID" || fail "the agent exited when its directory went away"

# The directory and the link come back: the agent reopens the channel.
mark=$(log_mark "$AGENT_LOG")
mkdir "$DEVDIR"
ln -s "$target" "$DEVDIR/$AG_NAME"
log_wait "$AGENT_LOG" "$mark" "open \(" >/dev/null || fail "the agent did not reopen the channel"
provision_json "$E2E_TMP/p2.json" "$DOM" --config "$(doc 2)" --timeout 20 ||
	fail "provision after the directory came back: $(cat "$E2E_TMP/p2.json" "$E2E_TMP/p2.json.err")"
[ "$(cat "$ROOT/etc/gen")" = 2 ] || fail "second document not applied"
pass "agent idle while its directory is gone ($used ticks in 2 s), resumes when it returns"
