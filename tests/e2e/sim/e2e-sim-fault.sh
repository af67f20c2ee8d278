#!/usr/bin/env bash
# `xensim fault` forwards one line to the domain's frontend socket and
# reports the answer.
source "$SRC_DIR/tests/e2e/lib.sh"
command -v socat >/dev/null || skip "socat not installed"
export XENSIM_GUEST_BIN=/nonexistent # no frontends: we answer ourselves
sim_start
domid=$("$XENSIM" create --name f1)
sock="$XENSIM_RUN_DIR/domains/$domid/frontend.sock"
cat >"$E2E_TMP/answer" <<'SH'
#!/bin/sh
read -r line
echo "$line" >>"$REQS"
case "$line" in
"fault 1 drop-notify") echo ok ;;
*) echo "error no device 7" ;;
esac
SH
chmod +x "$E2E_TMP/answer"
export REQS="$E2E_TMP/requests"
bg frontend socat "UNIX-LISTEN:$sock,fork" "EXEC:$E2E_TMP/answer"
wait_for 10 test -S "$sock" || fail "stand-in frontend socket never appeared"

"$XENSIM" fault f1 1 drop-notify || fail "fault ok case"
"$XENSIM" fault "$domid" 7 stall 100 2>"$E2E_TMP/err" && fail "error answer reported as success"
grep -q "no device 7" "$E2E_TMP/err" || fail "error not passed on: $(cat "$E2E_TMP/err")"
printf 'fault 1 drop-notify\nfault 7 stall 100\n' | diff - "$REQS" || fail "requests on the wire"
"$XENSIM" fault f1 1 'two words' 2>/dev/null && fail "multi-word argument accepted"
"$XENSIM" fault f1 1 2>/dev/null && fail "missing KIND accepted"
"$XENSIM" fault nosuch 1 x 2>"$E2E_TMP/err2" && fail "unknown domain accepted"
grep -q "no domain 'nosuch'" "$E2E_TMP/err2" || fail "unknown domain: $(cat "$E2E_TMP/err2")"
pass "xensim fault"
