# common.sh - shared set-up of the qemu-guest-agent e2e tests: a simulator,
# xenchanneld, guests with the org.qemu.guest_agent.0 channel, and Debian's
# qemu-ga inside each, on the channel's tty, in its own network and UTS
# namespace.
#
# Simulated guests are processes of this machine: whatever qemu-ga runs here
# acts on the machine itself. So every qemu-ga gets a config file (QGA_CONF,
# which replaces /etc/qemu/qemu-ga.conf) whose block-rpcs holds every command
# the agent knows except the read-only ones in QGA_ALLOWED: freeze, thaw,
# shutdown, suspend, passwords, exec, files, vcpus, memory, fstrim and ssh
# keys are refused before they run. The list is built from the agent's own
# `qemu-ga -b help`, so a newer agent's new commands are blocked too.
source "$SRC_DIR/tests/e2e/lib.sh"

QGA_NAME=org.qemu.guest_agent.0
QGA_ALLOWED="guest-sync-delimited guest-sync guest-ping guest-info guest-get-osinfo
	guest-get-host-name guest-network-get-interfaces guest-get-time guest-get-timezone
	guest-fsfreeze-status"
# Must be refused whatever the agent's version (checked before any agent runs).
QGA_MUST_BLOCK="guest-fsfreeze-freeze guest-fsfreeze-freeze-list guest-fsfreeze-thaw
	guest-set-user-password guest-shutdown guest-suspend-disk guest-suspend-ram
	guest-suspend-hybrid guest-exec guest-file-open guest-file-write guest-set-vcpus
	guest-set-time guest-fstrim guest-set-memory-blocks guest-ssh-add-authorized-keys"
QGA_N=0

qga_require() {
	command -v qemu-ga >/dev/null || skip "no qemu-ga (Debian package qemu-guest-agent; scripts/setup installs it)"
	[ "$(id -u)" = 0 ] && unshare --uts --net true 2>/dev/null ||
		skip "qemu-ga runs in its own network namespace: needs root and unshare"
}

# The config every agent reads: block-rpcs = all it knows minus QGA_ALLOWED.
qga_conf() {
	QGA_CONF_FILE=$E2E_TMP/qemu-ga.conf
	local all block=() c
	all=$(qemu-ga -b help 2>&1) || fail "qemu-ga -b help: $all"
	for c in $all; do
		[[ " $(echo $QGA_ALLOWED) " == *" $c "* ]] || block+=("$c")
	done
	for c in $QGA_MUST_BLOCK; do
		[[ " ${block[*]} " == *" $c "* ]] || fail "block list lacks $c (qemu-ga -b help: $all)"
	done
	printf '[general]\nblock-rpcs=%s\n' "$(IFS=,; echo "${block[*]}")" >"$QGA_CONF_FILE"
	# What the agent will run with, checked with its own dump of the config.
	QGA_CONF=$QGA_CONF_FILE qemu-ga -D >"$E2E_TMP/qemu-ga.dump" 2>&1 || fail "qemu-ga -D: $(cat "$E2E_TMP/qemu-ga.dump")"
	grep -q '^block-rpcs=.*guest-shutdown' "$E2E_TMP/qemu-ga.dump" || fail "qemu-ga ignores the block list: $(cat "$E2E_TMP/qemu-ga.dump")"
}

# sim + daemon + config.
qga_setup() {
	qga_require
	qga_conf
	sim_start
	daemon_start
}

# qga_guest NAME: a domain with the qemu-ga channel; prints its id.
qga_guest() {
	local d
	d=$("$XENSIM" create --name "$1") || fail "xensim create $1"
	"$XENCHANNEL" attach "$d" "name=$QGA_NAME,connection=socket,path=$E2E_TMP/$1.sock" >/dev/null ||
		fail "xenchannel attach $1"
	# the guest kernel's frontend socket exists once its process is up (no
	# event to wait on from here), then settle waits for its udev rules
	wait_for 10 test -S "$XENSIM_RUN_DIR/domains/$d/frontend.sock" || fail "no frontend for guest $1"
	guest_settle "$d"
	[ -e "$XENSIM_RUN_DIR/domains/$d/root/dev/xen-channel/$QGA_NAME" ] ||
		fail "no /dev/xen-channel/$QGA_NAME in guest $1 after attach"
	echo "$d"
}

# qga_guests N: guests m1..mN (8 created at a time), each with the channel
# and its qemu-ga (host name mI-host, address 10.77.I/250.I%250+1 on eth0);
# their ids in $E2E_TMP/doms/I.
qga_guests() {
	local n=$1 i p batch=()
	ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
	local limit
	limit=$(cat /proc/sys/fs/inotify/max_user_instances)
	[ "$limit" -ge $((n + 256)) ] || echo $((n + 256)) >/proc/sys/fs/inotify/max_user_instances ||
		skip "fs.inotify.max_user_instances is $limit: too low for $n guests"
	mkdir -p "$E2E_TMP/doms"
	for i in $(seq 1 "$n"); do
		qga_guest "m$i" >"$E2E_TMP/doms/$i" &
		batch+=($!)
		if [ ${#batch[@]} -eq 8 ] || [ "$i" = "$n" ]; then
			for p in "${batch[@]}"; do wait "$p" || fail "guest creation failed"; done
			batch=()
		fi
	done
	for i in $(seq 1 "$n"); do
		qga_start "$(cat "$E2E_TMP/doms/$i")" "m$i-host" "10.77.$((i / 250)).$((i % 250 + 1))/16"
	done
}

# qga_start DOM HOSTNAME ADDRESS [PRE-COMMAND]: qemu-ga on the guest's channel
# tty (isa-serial, as on any tty), in new network and UTS namespaces whose
# eth0 has ADDRESS and whose host name is HOSTNAME. PRE-COMMAND runs first in
# the same namespaces (the restart test's stand-in for an agent that dies).
# With QGA_LISTEN=PATH, the agent listens on that unix socket instead (the
# benchmark's baseline). Sets QGA_PID (the xensim exec process) and QGA_LOG.
qga_start() {
	local d=$1 host=$2 addr=$3 pre=${4:-true} root transport
	root=$XENSIM_RUN_DIR/domains/$d/root
	transport="-m isa-serial -p $root/dev/xen-channel/$QGA_NAME"
	[ -z "${QGA_LISTEN:-}" ] || transport="-m unix-listen -p $QGA_LISTEN"
	mkdir -p "$root/run/qga"
	QGA_N=$((QGA_N + 1))
	QGA_LOG=$E2E_TMP/qga$QGA_N.log
	bg "qga$QGA_N" "$XENSIM" exec "$d" -- env QGA_CONF="$QGA_CONF_FILE" unshare --uts --net sh -c '
		host=$1 addr=$2 root=$3 pre=$4 transport=$5
		ip link add eth0 type veth peer name uplink || exit 1
		ip addr add "$addr" dev eth0 && ip link set eth0 up && ip link set uplink up || exit 1
		hostname "$host" || exit 1
		sh -c "$pre" || exit 1
		exec qemu-ga $transport -t "$root/run/qga" -f "$root/run/qga/qemu-ga.pid"' \
		sh "$host" "$addr" "$root" "$pre" "$transport"
	QGA_PID=$LAST_PID
}

qga_stop() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# qga OUT ARGS...: run xenchannel qga, stdout in OUT, stderr in OUT.err;
# returns its exit status.
qga() {
	local out=$1; shift
	"$XENCHANNEL" qga "$@" >"$out" 2>"$out.err"
}

# jq-less JSON checks: jcheck FILE PYTHON-EXPR (j is the parsed file).
jcheck() {
	python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" ||
		fail "$1: not ($2): $(cat "$1")"
}
