#!/usr/bin/env bash
# detach of a channel whose frontend never answers: the guest kernel of the
# domain is stopped, so its frontend stays Initialising. Without --force the
# command fails naming the frontend and leaves the channel; with --force it
# removes everything and says so.
source "$SRC_DIR/tests/e2e/lib.sh"
source "$SRC_DIR/tests/e2e/toolstack/common.sh"
[ -x "$XENSIM" ] || skip "xensim not built"

sim_start
D=$("$XENSIM" create --name mute) || fail "xensim create"
G=$(sim_guest_pid "$D")
[ -n "$G" ] || fail "no guest process for domain $D"
kill -STOP "$G"
trap 'rc=$?; set +e; kill -CONT "$G" 2>/dev/null; (exit $rc); e2e_cleanup' EXIT

"$XENCHANNEL" attach --no-wait mute "name=org.example.mute.0,connection=socket,path=$E2E_TMP/m.sock" >/dev/null ||
	fail "attach"
F=/local/domain/$D/device/console/1
B=/local/domain/0/backend/console/$D/1

start=$SECONDS
expect_fail 1 "detach: the frontend of domain $D \\($F\\) did not answer: its state is Initialising, not Closed, after 700 ms; the channel stays \\(backend state Closing\\); --force removes it anyway" \
	"$XENCHANNEL" detach --timeout 0.7 mute org.example.mute.0
[ $((SECONDS - start)) -lt 10 ] || fail "the timeout was not honoured"
[ "$(xenstore-read "$B/state")" = 5 ] || fail "backend not left in Closing"
xenstore-read "$F/name" >/dev/null || fail "frontend removed without --force"
"$XENCHANNEL" list mute | grep -Eq " 1 org\.example\.mute\.0 .*Initialising +Closing" ||
	fail "list: $("$XENCHANNEL" list mute)"

out=$("$XENCHANNEL" detach --force --timeout 0.3 mute 1 2>"$E2E_TMP/err") || fail "detach --force: $(cat "$E2E_TMP/err")"
[ "$out" = "detached devid 1 from domain $D" ] || fail "detach --force said: $out"
grep -q "warning: the frontend of domain $D ($F) did not answer: its state is Initialising.*removed anyway (--force)" "$E2E_TMP/err" ||
	fail "no --force warning: $(cat "$E2E_TMP/err")"
for p in "$F" "$B" "/libxl/$D/device/console/1"; do
	! xenstore-read "$p" >/dev/null 2>&1 || fail "$p still exists"
done

# A frontend that answers late still completes the handshake: resume the
# guest while detach waits.
"$XENCHANNEL" attach --no-wait mute "name=org.example.late.0,connection=pty" >/dev/null || fail "attach 2"
bg detach "$XENCHANNEL" detach --timeout 30 mute org.example.late.0
DP=$LAST_PID
xs_wait "$B/state" 5 10 || fail "detach did not set Closing"
kill -CONT "$G"
wait "$DP" || fail "detach after resume: $(cat "$E2E_TMP/detach.log")"
grep -q "detached devid 1 from domain $D" "$E2E_TMP/detach.log" || fail "$(cat "$E2E_TMP/detach.log")"
pass "detach timeout, --force, late answer"
