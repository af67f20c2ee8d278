# lib.sh - helpers for the scenarios that run inside dom0 (sourced by scenarios.sh).
#
# Results go to the console as
#   XENTEST-RESULT <id> <name> PASS|FAIL <reason>
#   XENTEST-MEASURE <key>=<value>...
#   @@FILE <name> ... @@EOF        (an artifact, saved by tests/xen/run on the host)

T=/run/xentest
mkdir -p "$T"
BIN=/usr/sbin # the xenchannel package's binaries (installed by /init)
up() { cut -d' ' -f1 /proc/uptime; }
note() { echo "XENTEST: [$(up)] $*"; }

result() { # result ID NAME PASS|FAIL REASON...
	local id=$1 name=$2 verdict=$3
	shift 3
	echo "XENTEST-RESULT $id $name $verdict $*"
	[ "$verdict" = PASS ] || ANY_FAIL=1
}
ANY_FAIL=0
WHY=

artifact() { # artifact NAME < content
	echo "@@FILE $1"
	tr -d '\r' | sed 's/^@@/@ @/'
	echo "@@EOF"
}

# need_bin NAME...: succeeds when every binary is installed in /usr/sbin and
# loads (all shared libraries found); otherwise sets WHY.
need_bin() {
	local b
	for b in "$@"; do
		if [ ! -x "$BIN/$b" ]; then
			WHY="$b is not installed (package xenchannel: see the host log and deb.log)"
			return 1
		fi
		if ldd "$BIN/$b" 2>&1 | grep -q 'not found'; then
			WHY="$b misses shared libraries in dom0: $(ldd "$BIN/$b" | grep 'not found' | tr -s ' \t\n' ' ')"
			return 1
		fi
	done
}

# xs_wait TIMEOUT PATH TEST: wait (on a xenstore watch, not a timer) until the
# shell test TEST (which may use $v, the value of PATH, empty if absent) is true.
xs_wait() {
	local t=$1 path=$2 test=$3 v
	v=$(xenstore-read "$path" 2>/dev/null) || v=
	eval "$test" && return 0
	while read -r _; do
		v=$(xenstore-read "$path" 2>/dev/null) || v=
		eval "$test" && return 0
	done < <(timeout "$t" xenstore-watch "$path" 2>/dev/null)
	v=$(xenstore-read "$path" 2>/dev/null) || v=
	eval "$test"
}

# --- the domUs' command servers on their primary consoles -------------------
# Each domU's console pty is open on its own descriptor (GFD: 7 for the first,
# then 8, 9, ...); guest_run talks to the domU whose descriptor is in GFD.
GFD=7

# guest_open DOMID [FD]: opens xenconsoled's pty for the domU on FD (default 7),
# makes it the current one and waits for the command server's DOMU-READY line.
guest_open() {
	local d=$1 fd=${2:-7} tty line
	xs_wait 60 "/local/domain/$d/console/tty" '[ -n "$v" ]' || return 1
	tty=$(xenstore-read "/local/domain/$d/console/tty")
	eval "exec $fd<>\"\$tty\"" || return 1
	stty -F "$tty" raw -echo
	GFD=$fd
	while IFS= read -r -t 120 -u "$fd" line; do
		line=${line%$'\r'}
		echo "DOMU$d> $line"
		# systemd 257 puts terminal resets before it on the console's line
		case $line in *DOMU-READY*) return 0 ;; esac
	done
	return 1
}

GUEST_SEQ=0
# guest_run TIMEOUT SCRIPT: runs SCRIPT with sh in the current domU (GFD); prints
# its output (stdout+stderr), returns its status (124 when no answer within TIMEOUT s).
guest_run() {
	local t=$1 id line out=0 end
	shift
	GUEST_SEQ=$((GUEST_SEQ + 1))
	id=$GUEST_SEQ
	printf '%s %s\n' "$id" "$(printf '%s' "$*" | base64 -w0)" >&"$GFD"
	end=$((SECONDS + t))
	while [ $SECONDS -lt $end ] && IFS= read -r -t $((end - SECONDS + 1)) -u "$GFD" line; do
		line=${line%$'\r'}
		case $line in
		"@@BEGIN $id") out=1 ;;
		"@@END $id "*) return "${line##* }" ;;
		*) [ $out = 1 ] && printf '%s\n' "$line" ;;
		esac
	done
	echo "(no answer from the domU within ${t}s)"
	return 124
}

# guest_send SCRIPT: runs SCRIPT in the current domU without waiting for an
# answer (for what never answers: poweroff)
guest_send() {
	GUEST_SEQ=$((GUEST_SEQ + 1))
	printf '%s %s\n' "$GUEST_SEQ" "$(printf '%s' "$*" | base64 -w0)" >&"$GFD"
}

# xl_create CFG LOG: xl create, once more when libxl gave up on QEMU's start
# (its QMP deadline is 10 s, compiled in: a starved emulated dom0 can miss it)
xl_create() {
	local name
	xl create "$1" >"$2" 2>&1 && return 0
	grep -q -e 'device model did not start' -e 'Post DM startup configs failed' "$2" || return 1
	name=$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$1")
	echo "XENTEST: [$(up)] xl create $name: QEMU missed libxl's start deadline; once more"
	xl destroy "$name" >/dev/null 2>&1
	mv "$2" "$2.first"
	xl create "$1" >"$2" 2>&1
}

# until_ok SECONDS CMD...: bounded poll for what no xenstore event announces
until_ok() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.5
	done
}

# want ID: the scenario was selected (XENCHANNEL_XEN_SCENARIOS on the host)
want() {
	case $SCENARIOS in *" all "* | *" $1 "*) return 0 ;; esac
	return 1
}

start_xenchanneld() { # sets XENCHANNELD_PID or WHY
	local out
	out=$(xt-sock daemon $T/xenchanneld.log 30 $BIN/xenchanneld --foreground --stderr --verbose)
	if [ $? -ne 0 ]; then
		WHY="xenchanneld did not get ready: $out; log: $(tail -n 3 $T/xenchanneld.log | tr '\n' ' ')"
		return 1
	fi
	XENCHANNELD_PID=$out
}

# ensure_xenchanneld: start it unless it runs (sets WHY on failure)
ensure_xenchanneld() {
	[ -n "$XENCHANNELD_PID" ] && kill -0 "$XENCHANNELD_PID" 2>/dev/null && return 0
	start_xenchanneld
}

# attach_to DOMNAME DOMID SPEC: xenchannel attach, wait until both ends are
# Connected and the guest's udev (current GFD) has handled the device; sets
# DEVID and LINK (what the guest's /dev/xen-channel/NAME resolves to), or WHY.
attach_to() {
	local dom=$1 domid=$2 spec=$3 name be fe
	name=${spec#*name=}
	name=${name%%,*}
	DEVID=$(timeout 30 xenchannel attach $dom "$spec" 2>$T/attach.err)
	if [ $? -ne 0 ] || [ -z "$DEVID" ]; then
		WHY="xenchannel attach $dom $name failed: $(tr '\n' ' ' <$T/attach.err)"
		return 1
	fi
	be=/local/domain/0/backend/console/$domid/$DEVID
	fe=/local/domain/$domid/device/console/$DEVID
	if ! xs_wait 60 $be/state '[ "$v" = 4 ]' || ! xs_wait 60 $fe/state '[ "$v" = 4 ]'; then
		WHY="$dom devid $DEVID not Connected: frontend state '$(xenstore-read $fe/state 2>&1)', backend state '$(xenstore-read $be/state 2>&1)'"
		return 1
	fi
	LINK=$(guest_run 130 "udevadm wait --timeout=60 /sys/devices/console-$DEVID >/dev/null 2>&1; udevadm settle -t 60; readlink -f /dev/xen-channel/$name")
	case $LINK in /dev/hvc[1-7]) ;; *) # what the guest saw, for the failure to explain
		guest_run 30 "ls -la /dev/xen-channel/ /run/xen-channel/; head /run/xen-channel/console-*; ls /sys/bus/xen/devices/; cat /sys/bus/xen/devices/console-$DEVID/state; dmesg | tail -n 20; tail -n 40 /run/xentest/udevd.log" |
			artifact attach-$dom-$DEVID-$name.txt ;;
	esac
}

# attach_wait NAME PATH: a socket channel on the first domU
attach_wait() {
	attach_to $DOM $DOMID "connection=socket,name=$1,path=$2"
}

# guest_echo_once NAME: the guest answers one line on its /dev/xen-channel/NAME
guest_echo_once() {
	guest_run 20 "exec 3<>/dev/xen-channel/$1 || exit 1; stty raw -echo <&3; (head -n1 <&3 >/tmp/echo-in; echo \"pong \$(cat /tmp/echo-in)\" >&3) >/dev/null 2>&1 &"
}

# devid_of DOMID NAME: the devid of the domain's channel NAME (empty if none)
devid_of() {
	local n
	for n in $(xenstore-list /local/domain/$1/device/console 2>/dev/null); do
		[ "$(xenstore-read /local/domain/$1/device/console/$n/name 2>/dev/null)" = "$2" ] && echo $n && return
	done
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
pss_kib() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null; }
fd_count() { ls /proc/$1/fd 2>/dev/null | wc -l; }
# cpu_ticks PID: user + system clock ticks of the process, all threads
cpu_ticks() { awk '{print $14 + $15}' /proc/$1/stat 2>/dev/null; }
