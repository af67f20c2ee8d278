#!/usr/bin/env bash
# Bash completion for xenchannel and xensim (data/completion/xenchannel):
# sourced in bash, the completion functions called as bash calls them
# (COMP_WORDS, COMP_CWORD), the candidates asserted. Commands and options
# come from --help, domains from xenstore and `xensim list`, channel names
# from the registry and from `xenchannel list`.
source "$SRC_DIR/tests/e2e/lib.sh"
command -v xenstore-list >/dev/null || skip "xenstore-utils not installed"
COMPLETION=$SRC_DIR/data/completion/xenchannel
export XENCHANNEL_REGISTRY=$SRC_DIR/data/channel-registry
sim_start
"$XENSIM" create --name web1 >/dev/null || fail "create web1"
"$XENSIM" create --name db1 >/dev/null || fail "create db1"
daemon_start
"$XENCHANNEL" attach web1 "name=org.example.debug.0,connection=pty" >/dev/null || fail "attach"
mkdir -p "$E2E_TMP/cfgs/sub"
: >"$E2E_TMP/cfgs/web.cfg"
: >"$E2E_TMP/cfgs/notes.txt"

# complete FUNCTION WORD... : the candidates, sorted, one a line, for the
# last WORD being completed. Run as bash runs completions: errexit and
# nounset off.
complete_words() {
	local fn=$1; shift
	(
		set +eu +o pipefail
		source "$COMPLETION"
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		"$fn"
		printf '%s\n' "${COMPREPLY[@]}" | sort -u | sed '/^$/d'
	)
}
# expect FUNCTION 'WANTED...' WORD... : exactly these candidates
expect() {
	local fn=$1 want got; want=$(tr ' ' '\n' <<<"$2" | sed '/^$/d' | sort -u); shift 2
	got=$(complete_words "$fn" "$@")
	[ "$got" = "$want" ] || fail "completing '$*': got [$(echo $got)], want [$(echo $want)]"
}
# has FUNCTION 'WANTED...' WORD... : these candidates among others
has() {
	local fn=$1 w got; local want=$2; shift 2
	got=$(complete_words "$fn" "$@")
	for w in $want; do
		grep -qxF -- "$w" <<<"$got" || fail "completing '$*': no '$w' in [$(echo $got)]"
	done
}
XC=$XENCHANNEL XS=$XENSIM

# xenchannel: commands, options per command, domains, specs, channel names
has _xenchannel "attach detach list define undefine create config registry provision agent-shell console agent-command help --help --version" "$XC" ""
# exactly the commands `xenchannel --help` lists that start with the word
a_cmds=$("$XC" --help | awk '/^  [a-z]/ && $1 ~ /^a/ { print $1 }' | sort -u | tr '\n' ' ')
[[ $a_cmds == *attach* ]] || fail "xenchannel --help lists no attach: [$a_cmds]"
expect _xenchannel "$a_cmds" "$XC" a
has _xenchannel "--force --help" "$XC" attach --
has _xenchannel "--json --stats" "$XC" list --
has _xenchannel "--config --key --timeout --jobs --json" "$XC" provision --
expect _xenchannel "define detach" "$XC" help de
expect _xenchannel "web1 db1" "$XC" attach ""
expect _xenchannel "web1" "$XC" attach --force w
expect _xenchannel "name= connection= path=" "$XC" attach web1 ""
expect _xenchannel "name=org.xenchannel.agent.0" "$XC" attach web1 name=org.xenc
expect _xenchannel "name=org.example.debug.1,connection=" "$XC" attach web1 name=org.example.debug.1,con
expect _xenchannel "name=x,connection=pty" "$XC" attach web1 name=x,connection=p
expect _xenchannel "org.example.debug.0" "$XC" detach web1 ""
expect _xenchannel "org.example.debug.0" "$XC" detach --timeout 5 web1 org
expect _xenchannel "" "$XC" detach --timeout ""
expect _xenchannel "check" "$XC" registry ""
export XENCHANNEL_DOMAINS_DIR="$E2E_TMP/domains"
"$XC" define web9 "name=org.example.nine.0,connection=pty" >/dev/null || fail "define web9"
expect _xenchannel "web1 db1 web9" "$XC" define ""
expect _xenchannel "name= connection= path= devid=" "$XC" define web9 name=org.example.a.0,connection=pty ""
expect _xenchannel "web9" "$XC" undefine web
expect _xenchannel "org.example.nine.0" "$XC" undefine web9 ""
has _xenchannel "--dry-run --timeout" "$XC" create --
expect _xenchannel "org.xenchannel.agent.0" "$XC" registry check org.xenc
expect _xenchannel "db1" "$XC" provision web1=doc.json d
expect _xenchannel "$E2E_TMP/cfgs/web.cfg" "$XC" provision --config "$E2E_TMP/cfgs/w"
expect _xenchannel "web1=$E2E_TMP/cfgs/web.cfg" "$XC" provision "web1=$E2E_TMP/cfgs/w"

# xensim: commands, options, domains by name and id, exec's command, .cfg files
has _xensim "start stop env list create destroy exec fault help --help --version" "$XS" ""
expect _xensim "--foreground --help" "$XS" start --
has _xensim "--name" "$XS" create --
expect _xensim "web1 db1 1 2" "$XS" destroy ""
expect _xensim "Domain-0 0 web1 db1 1 2" "$XS" exec ""
expect _xensim "--" "$XS" exec web1 ""
has _xensim "xenstore-ls xenstore-list" "$XS" exec web1 -- xenstore-l
expect _xensim "$E2E_TMP/cfgs/web.cfg $E2E_TMP/cfgs/sub" "$XS" create "$E2E_TMP/cfgs/"
pass "bash completion of xenchannel and xensim"
