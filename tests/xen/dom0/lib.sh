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

# --- the domU's command server on its primary console ------------------------
# guest_open DOMID: opens xenconsoled's pty for the domU on fd 7 and waits for
# the command server's DOMU-READY line.
guest_open() {
	local d=$1 tty line
	xs_wait 60 "/local/domain/$d/console/tty" '[ -n "$v" ]' || return 1
	tty=$(xenstore-read "/local/domain/$d/console/tty")
	exec 7<>"$tty" || return 1
	stty -F "$tty" raw -echo
	GUEST_TTY=$tty
	while IFS= read -r -t 120 line <&7; do
		line=${line%$'\r'}
		echo "DOMU> $line"
		case $line in DOMU-READY*) return 0 ;; esac
	done
	return 1
}

GUEST_SEQ=0
# guest_run TIMEOUT SCRIPT: runs SCRIPT with sh in the domU; prints its output
# (stdout+stderr), returns its status (124 when no answer within TIMEOUT s).
guest_run() {
	local t=$1 id line out=0 end
	shift
	GUEST_SEQ=$((GUEST_SEQ + 1))
	id=$GUEST_SEQ
	printf '%s %s\n' "$id" "$(printf '%s' "$*" | base64 -w0)" >&7
	end=$((SECONDS + t))
	while [ $SECONDS -lt $end ] && IFS= read -r -t $((end - SECONDS + 1)) line <&7; do
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

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
pss_kib() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null; }
