# lib.sh - shared helpers for end-to-end tests (source it from a test script).
#
# Every test gets its own simulator run dir, so tests run in parallel. Exit
# codes follow meson: 0 pass, 77 skip, anything else fail.
set -euo pipefail

: "${BUILD_DIR:?BUILD_DIR must point at the meson build directory}"
: "${SRC_DIR:?SRC_DIR must point at the source tree}"

XENSIM="$BUILD_DIR/src/sim/hyp/xensim"
XENCHANNEL="$BUILD_DIR/src/cli/xenchannel"
XENCHANNELD="$BUILD_DIR/src/daemon/xenchanneld"
XEN_CONSOLE_SETUP="$BUILD_DIR/src/guest/console-setup/xen-console-setup"
XENCHANNEL_AGENT="$BUILD_DIR/src/guest/agent/xenchannel-agent"

E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/xenchannel-e2e.XXXXXX")
E2E_PIDS=()

e2e_cleanup() {
	local rc=$?
	for p in "${E2E_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	# Keep the simulator's own logs for the report: stopping it removes the
	# domains' directories (hard links survive that).
	if [ $rc -ne 0 ] && [ $rc -ne 77 ] && [ -n "${XENSIM_RUN_DIR:-}" ]; then
		ln -f "$XENSIM_RUN_DIR/xensim.log" "$E2E_TMP/xensim.log" 2>/dev/null || true
		for f in "$XENSIM_RUN_DIR"/domains/*/guest.log; do
			[ -f "$f" ] || continue
			d=${f%/guest.log}
			ln -f "$f" "$E2E_TMP/guest-${d##*/}.log" 2>/dev/null || true
		done
	fi
	if [ -n "${XENSIM_RUN_DIR:-}" ] && [ -e "$XENSIM_RUN_DIR/xensim.pid" ]; then
		"$XENSIM" stop >/dev/null 2>&1 || true
	fi
	for p in "${E2E_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
		echo "--- e2e logs in $E2E_TMP:" >&2
		for f in "$E2E_TMP"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 40 "$f" >&2; }; done
	else
		rm -rf "$E2E_TMP"
	fi
	exit $rc
}
trap e2e_cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
pass() { echo "PASS: $*"; }

# Start a private simulator; exports XENSIM_RUN_DIR and XENSTORED_PATH (dom0).
sim_start() {
	export XENSIM_RUN_DIR="$E2E_TMP/run"
	"$XENSIM" start >"$E2E_TMP/xensim-start.log" 2>&1 || fail "xensim start: $(cat "$E2E_TMP/xensim-start.log")"
	eval "$("$XENSIM" env)"
}

# The pid of domain D's guest kernel process, as the simulator forked it
# (`xensim list'; empty if it has none). Not pgrep: the guest's udev helpers
# are children that carry its command line until they exec.
sim_guest_pid() {
	"$XENSIM" list | awk -v d="$1" 'NR > 1 && $2 == d && $5 != "-" { print $5 }'
}

# Start xenchanneld daemonized (extra options passed on), logging to
# $E2E_TMP/xenchanneld.log: it returns once the initial scan (and any
# adoption) is done, so its return is the readiness event. Sets DAEMON_PID.
daemon_start() {
	"$XENCHANNELD" --stderr -v --pidfile "$E2E_TMP/xenchanneld.pid" "$@" \
		2>>"$E2E_TMP/xenchanneld.log" || fail "xenchanneld did not start"
	DAEMON_PID=$(cat "$E2E_TMP/xenchanneld.pid")
	E2E_PIDS+=("$DAEMON_PID")
}

daemon_alive() { kill -0 "$DAEMON_PID" 2>/dev/null; }

# Stop it with SIGTERM and wait for the pid file to go (clean exit removes it).
daemon_stop() {
	kill -TERM "$DAEMON_PID"
	while kill -0 "$DAEMON_PID" 2>/dev/null; do
		wait_for 10 bash -c "! kill -0 $DAEMON_PID" || fail "xenchanneld ignored SIGTERM"
	done
}

# guest_settle DOMID: like udevadm settle in the guest: its frontend has acted
# on every xenstore change made so far and every uevent has run its rules.
guest_settle() {
	local r
	r=$(printf 'settle\n' | socat -t 60 - "UNIX-CONNECT:$XENSIM_RUN_DIR/domains/$1/frontend.sock") ||
		fail "settle: the frontend of domain $1 is unreachable"
	[ "$r" = ok ] || fail "settle: domain $1 answered '$r'"
}

# Run a command in the background, remembered for cleanup; sets LAST_PID.
bg() {
	local log=$1; shift
	"$@" >"$E2E_TMP/$log.log" 2>&1 &
	LAST_PID=$!
	E2E_PIDS+=("$LAST_PID")
}

# Wait (bounded) until a command succeeds: wait_for SECONDS CMD... Polls an
# observable condition for processes that offer no event to wait on.
wait_for() {
	local secs=$1; shift
	local end=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.05
	done
}

# xs_wait PATH VALUE [SECS]: wait, driven by xenstore watch events, until
# PATH reads VALUE (a bash pattern: '[56]' waits for either); at most SECS
# (default 30). A missing node reads as "".
xs_wait() {
	local path=$1 want=$2 secs=${3:-30} v line left end
	end=$((SECONDS + secs))
	# no `timeout` wrapper: killed, it can orphan a xenstore-watch that spins
	# once its xenstored is gone; the watch is ours to kill, and cleanup's too
	coproc XSW { exec xenstore-watch "$path" 2>/dev/null; }
	local wpid=$XSW_PID rc=1
	E2E_PIDS+=("$wpid")
	while :; do
		v=$(xenstore-read "$path" 2>/dev/null || true)
		if [[ $v == $want ]]; then rc=0; break; fi
		left=$((end - SECONDS))
		[ "$left" -gt 0 ] || break
		read -r -t "$left" -u "${XSW[0]}" line || break
	done
	kill "$wpid" 2>/dev/null || true
	wait "$wpid" 2>/dev/null || true
	[ $rc -eq 0 ] || echo "xs_wait: $path is '$v', wanted '$want' within ${secs}s" >&2
	return $rc
}
