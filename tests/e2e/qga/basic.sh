#!/usr/bin/env bash
# Debian's qemu-ga in a simulated guest, over a channel served by
# xenchanneld: the read-only commands answer with the guest's own state (its
# host name, the address of its network namespace), the blocked ones are
# refused by the agent, and the exit status tells ok (0) / guest error (1) /
# no answer or bad arguments (2).
source "$SRC_DIR/tests/e2e/qga/common.sh"
qga_setup
DOM=$(qga_guest q1)
qga_start "$DOM" q1host 198.51.100.17/24

O=$E2E_TMP/out
# guest-ping, by id and by name; the first one waits for the agent to start.
qga "$O" --timeout 20 "$DOM" guest-ping || fail "guest-ping: $(cat "$O" "$O.err")"
[ "$(tr -d ' \n' <"$O")" = "{}" ] || fail "guest-ping printed $(cat "$O")"
qga "$O" q1 guest-ping || fail "guest-ping by name: $(cat "$O.err")"

qga "$O" q1 guest-info || fail "guest-info: $(cat "$O.err")"
jcheck "$O" 'j["version"] and any(c["name"] == "guest-ping" and c["enabled"] for c in j["supported_commands"])'
# The block list is what the agent says it runs with.
jcheck "$O" 'not any(c["enabled"] for c in j["supported_commands"] if c["name"] in ("guest-shutdown", "guest-fsfreeze-freeze", "guest-exec", "guest-set-user-password", "guest-file-open"))'

qga "$O" q1 guest-get-osinfo || fail "guest-get-osinfo: $(cat "$O.err")"
jcheck "$O" 'j["kernel-release"] == "'"$(uname -r)"'" and "id" in j'

qga "$O" q1 guest-get-host-name || fail "guest-get-host-name: $(cat "$O.err")"
jcheck "$O" 'j == {"host-name": "q1host"}'

# The guest's own namespace (eth0 with its address, its veth peer, lo), nothing of the host.
qga "$O" q1 guest-network-get-interfaces || fail "guest-network-get-interfaces: $(cat "$O.err")"
jcheck "$O" 'sorted(i["name"] for i in j) == ["eth0", "lo", "uplink"]'
jcheck "$O" '{"ip-address-type": "ipv4", "ip-address": "198.51.100.17", "prefix": 24} in [i for x in j if x["name"] == "eth0" for i in x.get("ip-addresses", [])]'

qga "$O" q1 guest-fsfreeze-status || fail "guest-fsfreeze-status: $(cat "$O.err")"
jcheck "$O" 'j == "thawed"'

# Blocked: refused by the agent, never run (exit 1, the error on stdout).
for c in guest-fsfreeze-freeze guest-fsfreeze-thaw guest-set-user-password guest-shutdown \
	guest-suspend-ram guest-suspend-disk guest-exec guest-file-open guest-file-write guest-set-vcpus; do
	rc=0
	case $c in
	guest-set-user-password) a='{"username": "root", "password": "eA==", "crypted": false}' ;;
	guest-exec) a='{"path": "/bin/touch", "arg": ["'"$E2E_TMP/exec-ran"'"]}' ;;
	guest-file-open) a='{"path": "'"$E2E_TMP/file-opened"'", "mode": "w"}' ;;
	guest-file-write) a='{"handle": 1, "buf-b64": "eA=="}' ;;
	guest-set-vcpus) a='{"vcpus": [{"logical-id": 1, "online": false}]}' ;;
	*) a='{}' ;;
	esac
	qga "$O" q1 "$c" "$a" || rc=$?
	[ $rc = 1 ] || fail "$c: exit $rc, want 1 (refused): $(cat "$O" "$O.err")"
	jcheck "$O" 'j["error"]["class"] == "CommandNotFound" and "disabled" in j["error"]["desc"]'
	grep -q "$c: CommandNotFound" "$O.err" || fail "$c: message $(cat "$O.err")"
done
[ ! -e "$E2E_TMP/exec-ran" ] && [ ! -e "$E2E_TMP/file-opened" ] || fail "a blocked command ran"
[ "$(nsenter -t "$QGA_PID" -u hostname)" = q1host ] || fail "host name changed"

# A guest error with arguments (exit 1), and --json's form of it.
rc=0; qga "$O" --json q1 guest-get-time '{"bogus": 1}' || rc=$?
[ $rc = 1 ] || fail "bad argument: exit $rc: $(cat "$O" "$O.err")"
jcheck "$O" 'len(j) == 1 and j[0]["status"] == "error" and j[0]["error"]["class"] == "GenericError" and j[0]["domid"] == '"$DOM"' and j[0]["name"] == "q1"'

# Usage errors: exit 2, nothing sent.
for args in "q1 guest-ping {" "q1 guest-ping [1]" "q1 Guest-Ping" "--all q1 guest-ping" "guest-ping" \
	"--timeout 0 q1 guest-ping" "--jobs x q1 guest-ping"; do
	rc=0; qga "$O" $args || rc=$?
	[ $rc = 2 ] || fail "xenchannel qga $args: exit $rc, want 2"
	[ -s "$O.err" ] || fail "xenchannel qga $args: no message"
done
# No such domain, no such channel, no agent: exit 2 with a message.
rc=0; qga "$O" nosuch guest-ping || rc=$?
[ $rc = 2 ] && grep -q "nosuch: no domain" "$O.err" || fail "unknown domain: $rc $(cat "$O.err")"
D2=$("$XENSIM" create --name bare)
rc=0; qga "$O" bare guest-ping || rc=$?
[ $rc = 2 ] && grep -q "no channel named $QGA_NAME" "$O.err" || fail "no channel: $rc $(cat "$O.err")"
"$XENCHANNEL" attach "$D2" "name=$QGA_NAME,connection=socket,path=$E2E_TMP/bare.sock" >/dev/null
rc=0; qga "$O" --timeout 1 bare guest-ping || rc=$?
[ $rc = 2 ] && grep -q "timed out after 1.0 s: no agent answered guest-sync-delimited" "$O.err" ||
	fail "no agent: $rc $(cat "$O.err")"

# --all: every domain with the channel (q1 answers, bare does not), a table.
rc=0; qga "$O" --all --timeout 1 guest-get-host-name || rc=$?
[ $rc = 2 ] || fail "--all with one silent guest: exit $rc"
grep -q "^q1 .* ok .*q1host" "$O" || fail "--all table: $(cat "$O")"
grep -q "^bare .* no-answer .*timed out" "$O" || fail "--all table: $(cat "$O")"
pass "qga: ping, info, osinfo, host name, interfaces; blocked commands refused; exit statuses"
