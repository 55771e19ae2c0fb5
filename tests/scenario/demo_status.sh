#!/usr/bin/env bash
# Both planes come up on DPDK virtual devices and connect through the control channel;
# either side can be killed and restarted and they reconnect (the region outlives both).
. "$(dirname "$0")/lib.sh"
need_root
need_hugepages 128
[ -x "$DP" ] || skip "rampart-dp not built (no DPDK)"

inst=st$$
conf=$WORK/rampart.conf
REGION=$WORK/$inst.ctl
write_conf "$conf" "$inst"

"$DP" -c "$conf" >"$WORK/dp.log" 2>&1 & dp=$!; PIDS+=($dp)
"$CPD" -c "$conf" >"$WORK/cp.log" 2>&1 & cp=$!; PIDS+=($cp)

status() { "$CTL" -c "$conf" status "$@"; }
if ! wait_for 30 status; then
	tail -n 30 "$WORK/dp.log" "$WORK/cp.log"; status
	fail "planes did not come up and connect"
fi
out=$(status); echo "$out"
grep -q "connected" <<<"$out" || fail "status does not say connected"
grep -q "outside" <<<"$out" || fail "status does not list the outside port"
grep -q "inside" <<<"$out" || fail "status does not list the inside port"
ok "both planes up and connected"

json=$(status --json) || fail "status --json failed"
/usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["dataplane"]["connected"] is True, d; assert len(d["dataplane"]["ports"]) == 2, d' "$json" ||
	fail "status --json is not valid or not connected: $json"
ok "status --json parses"

# Kill the dataplane hard: status must notice, and a restarted one must reconnect.
kill -KILL $dp; wait $dp 2>/dev/null
wait_for 10 sh -c "! '$CTL' -c '$conf' status" || fail "status still reports up after rampart-dp was killed"
ok "status reports the dataplane down after SIGKILL"
"$DP" -c "$conf" >>"$WORK/dp.log" 2>&1 & dp=$!; PIDS+=($dp)
wait_for 30 status || { tail -n 20 "$WORK/dp.log" "$WORK/cp.log"; fail "restarted rampart-dp did not reconnect"; }
grep -q "resync" "$WORK/cp.log" || fail "rampartd did not log a resynchronisation after the dataplane restart"
ok "restarted rampart-dp reconnected and rampartd resynchronised"

# Kill the control plane hard: the dataplane keeps running; a new rampartd reconnects.
kill -KILL $cp; wait $cp 2>/dev/null
kill -0 $dp || fail "rampart-dp died with rampartd"
"$CPD" -c "$conf" >>"$WORK/cp.log" 2>&1 & cp=$!; PIDS+=($cp)
wait_for 30 status || { tail -n 20 "$WORK/dp.log" "$WORK/cp.log"; fail "restarted rampartd did not reconnect"; }
ok "restarted rampartd reconnected to the running dataplane"

# A config typo is refused with file, line and setting.
sed 's/idle_sleep_us/idle_sleep_usec/' "$conf" >"$WORK/typo.conf"
if "$CPD" -c "$WORK/typo.conf" --check-config 2>"$WORK/typo.err"; then fail "rampartd accepted a typo"; fi
grep -q "$WORK/typo.conf:[0-9]*: setting 'dataplane.idle_sleep_usec': unknown setting (did you mean 'idle_sleep_us'?)" "$WORK/typo.err" ||
	{ cat "$WORK/typo.err"; fail "rampartd's error does not name file:line and setting"; }
if "$DP" -c "$WORK/typo.conf" --check-config 2>"$WORK/typo2.err"; then fail "rampart-dp accepted a typo"; fi
grep -q "$WORK/typo.conf:[0-9]*: setting 'dataplane.idle_sleep_usec'" "$WORK/typo2.err" ||
	{ cat "$WORK/typo2.err"; fail "rampart-dp's error does not name file:line and setting"; }
ok "config typo refused by both programs with file:line and setting"
echo PASS
