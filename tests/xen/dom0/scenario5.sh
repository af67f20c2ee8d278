# scenario 5: `xenchannel list` shows the QEMU-served and the
# xenchanneld-served channels of the domU with their real states.
s5() {
	local out rc
	need_bin xenchannel || { result 5 list FAIL "$WHY"; return; }
	xenchannel list $DOM >$T/list.txt 2>&1
	artifact list.txt <$T/list.txt
	out=$(xenchannel list $DOM --json 2>&1)
	rc=$?
	echo "$out" | artifact list.json
	[ $rc = 0 ] || { result 5 list FAIL "xenchannel list --json exited $rc: $(echo "$out" | tail -n 2 | tr '\n' ' ')"; return; }
	# expected: what xenstore says, read independently
	out=$(echo "$out" | python3 -c '
import json, subprocess, sys
dom, want = sys.argv[1], sys.argv[2:]
chans = json.load(sys.stdin)
if isinstance(chans, dict):
    chans = chans.get("channels", [])
by = {c.get("name"): c for c in chans}
bad = []
for w in want:
    name, typ = w.split(":")
    c = by.get(name)
    if c is None:
        bad.append("%s missing" % name); continue
    for k, v in (("type", typ), ("frontend_state", "Connected"), ("backend_state", "Connected")):
        if str(c.get(k, "")).lower() != v.lower():
            bad.append("%s %s=%r (want %s)" % (name, k, c.get(k), v))
print("; ".join(bad) if bad else "ok %d channels" % len(chans))
' $DOM "$RAW_NAME:ioemu" "$AGENT_NAME:ioemu" $WANT_OURS 2>&1)
	if [ "${out%% *}" = ok ]; then
		result 5 list PASS "QEMU-served ($RAW_NAME, $AGENT_NAME) and xenchanneld-served (${WANT_OURS:-none}) listed Connected/Connected with their types ($out)"
	else
		result 5 list FAIL "$out"
	fi
}
WANT_OURS=
for n in $OURS_NAME $BULK_NAME; do
	xenstore-ls /local/domain/$DOMID/device/console 2>/dev/null | grep -q "name = \"$n\"" && WANT_OURS="$WANT_OURS $n:xenchanneld"
done
[ -n "$WANT_OURS" ] || WANT_OURS="$OURS_NAME:xenchanneld"
s5
