# common.sh - shared set-up of the agent e2e tests: a simulator, xenchanneld,
# one guest with the provisioning channel, and xenchannel-agent inside it.
source "$SRC_DIR/tests/e2e/lib.sh"

AG_NAME=org.xenchannel.agent.0
FRAMES="$SRC_DIR/tests/e2e/agent/frames.py"
KERNEL=0
AGENT_N=0

# sim + daemon + guest "g1" with the channel; sets DOM, ROOT, SOCK.
agent_setup() {
	sim_start
	daemon_start
	DOM=$("$XENSIM" create --name g1) || fail "xensim create"
	SOCK=$E2E_TMP/g1.sock
	"$XENCHANNEL" attach "$DOM" "name=$AG_NAME,connection=socket,path=$SOCK" ||
		fail "xenchannel attach"
	ROOT=$XENSIM_RUN_DIR/domains/$DOM/root
	wait_for 10 test -e "$ROOT/dev/xen-channel/$AG_NAME" ||
		fail "no /dev/xen-channel/$AG_NAME in the guest after attach"
	mkdir -p "$ROOT/etc"
	printf 'root:x:0:0:root:/root:/bin/sh\nops:x:1000:1000::/home/ops:/bin/sh\n' >"$ROOT/etc/passwd"
	printf 'root:x:0:\nops:x:1000:\n' >"$ROOT/etc/group"
}

# Kernel state (host name, addresses) is checked only as root with unshare.
use_kernel_if_possible() {
	if [ "$(id -u)" = 0 ] && unshare --uts --net true 2>/dev/null; then
		KERNEL=1
	else
		echo "NOTE: not root or no unshare: kernel state (hostname, addresses) not verified" >&2
	fi
}

# Start the agent in the guest (extra args passed on); sets AGENT_PID, AGENT_LOG.
agent_start() {
	AGENT_N=$((AGENT_N + 1))
	AGENT_LOG=$E2E_TMP/agent$AGENT_N.log
	if [ $KERNEL = 1 ]; then
		bg "agent$AGENT_N" "$XENSIM" exec "$DOM" -- unshare --uts --net sh -c '
			mac=$1; agent=$2; shift 2
			if ip link add eth0 address "$mac" type veth peer name uplink 2>/dev/null; then
				ip link set uplink up
			else
				ip link add eth0 address "$mac" type dummy || exit 1
			fi
			exec "$agent" --kernel on "$@"' sh 52:54:00:e2:e0:01 "$XENCHANNEL_AGENT" "$@"
	else
		bg "agent$AGENT_N" "$XENSIM" exec "$DOM" -- "$XENCHANNEL_AGENT" --kernel off "$@"
	fi
	AGENT_PID=$LAST_PID
}

agent_stop() {
	kill "$AGENT_PID" 2>/dev/null || true
	wait "$AGENT_PID" 2>/dev/null || true
}

# provision_json OUT ARGS... : run provision --json, keep its output; returns its status.
provision_json() {
	local out=$1; shift
	"$XENCHANNEL" provision --json "$@" >"$out" 2>"$out.err"
}

# item_results FILE : "item result" lines of the first target of a --json output.
item_results() {
	python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))[0]
for it in t.get("result", {}).get("items", []):
    print(it["item"], it["result"])
if "error" in t:
    print("ERROR", t["error"])' "$1"
}

# status_field FIELD : a field of the agent's status result.
agent_status() {
	echo status | "$XENCHANNEL" agent-shell "$DOM" | python3 -c '
import json, sys
text = sys.stdin.read()
objs, dec, i = [], json.JSONDecoder(), 0
while i < len(text):
    j = text.find("{", i)
    if j < 0:
        break
    o, i = dec.raw_decode(text, j)
    objs.append(o)
print(json.dumps(objs[-1]["result"]))'
}

# log_mark FILE: the number of lines FILE has now (for log_wait).
log_mark() { wc -l <"$1" 2>/dev/null || echo 0; }

# log_wait FILE MARK PATTERN [SECS]: wait until a line after line MARK of
# FILE matches the extended regex PATTERN; prints it. Driven by tail -F's
# inotify, so no polling; at most SECS (default 20).
log_wait() {
	local file=$1 mark=$2 pat=$3 secs=${4:-20} line left end rc=1
	end=$((SECONDS + secs))
	coproc LOGW { exec tail -n "+$((mark + 1))" -F "$file" 2>/dev/null; }
	local tpid=$LOGW_PID
	E2E_PIDS+=("$tpid")
	while :; do
		left=$((end - SECONDS))
		[ "$left" -gt 0 ] || break
		IFS= read -r -t "$left" -u "${LOGW[0]}" line || break
		if [[ $line =~ $pat ]]; then
			printf '%s\n' "$line"
			rc=0
			break
		fi
	done
	kill "$tpid" 2>/dev/null || true
	wait "$tpid" 2>/dev/null || true
	[ $rc -eq 0 ] || echo "log_wait: no line matching '$pat' in $file within ${secs}s" >&2
	return $rc
}
