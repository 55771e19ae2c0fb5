#!/usr/bin/env bash
# Malformed IKE input against rampartd behind rampart-dp, over IPv4 and IPv6, then a
# legitimate client.
#
#   rp-cl-ID (tools/ike_garbage.py, then charon)     rp-dp-ID: rampart-dp + rampartd
#   192.0.2.2, 2001:db8:1::2 ------------------------- outside [rampart-dp],
#                                                      tap 192.0.2.1, 2001:db8:1::1
#   (set-up: ike_lib.sh; topology: netns.sh netns_topo_dp)
#
# rampartd requires a cookie for every IKE_SA_INIT (ike.cookie_threshold = 0), so that the
# checks behind the cookie (proposal, KE group, public value) are reached by the tool, which
# returns the cookies it gets, and so that the legitimate client goes through the cookie
# exchange too.
#
# tools/ike_garbage.py sends, to 192.0.2.1:500 and :4500 (non-ESP marker), and then again to
# [2001:db8:1::1] (with a smaller cookie flood), a burst bounded in count and time: truncated headers, length fields larger / smaller than the datagram, bad
# versions and flags, payload chains with lengths pointing nowhere, loops of hundreds of
# payloads, trailing bytes, duplicate payloads, bad nonces, inconsistent and huge SA payloads
# (33 proposals, 65 transforms, 8 KB), unknown critical payloads (IKE_SA_INIT: answered with
# UNSUPPORTED_CRITICAL_PAYLOAD, RFC 7296 section 2.5; elsewhere dropped), a cookie flood,
# IKE_AUTH / CREATE_CHILD_SA / INFORMATIONAL for unknown SPIs, SKF fragments with absurd
# numbers; after a valid cookie: KE group mismatches, KE values of the wrong length, zero,
# not on the curve (group 19), low order (group 31), 0 / 1 / p-1 / p (group 14), no
# acceptable proposal, a cookie of another SPI; then one real half-open IKE_SA, garbage SK and
# SKF messages for its SPIs, and SKF fragments encrypted with its real keys in absurd patterns
# (duplicates, changing totals, totals above 16, numbers out of range), with a complete
# fragmented IKE_AUTH as the control that they verified (answered AUTHENTICATION_FAILED).
#
# Checks: the tool's own (no answer larger than the message that caused it, no answer where
# none is due, the critical-payload answers right); rampartd still runs and answers
# `rampartctl status`; `show sessions` lists nothing but (at most) the two half-open SAs the
# tool made on purpose (one per run); rampartd's resident memory grew by less than 8 MB; rampart-dp still
# runs; afterwards a strongSwan client connects (through the cookie exchange), gets an
# address, pings the LAN host and moves data over TCP, with non-zero counters in
# `rampartctl show sessions`.
#
# Skips (77): as ike_psk.sh (root, netns, TUN, scapy, 2 CPUs, PMDs, rampart-dp, charon).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/ike_lib.sh"
ike_need
"$SCAPY_PY" -c 'from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey' 2>/dev/null ||
	skip "$SCAPY_PY has no X25519 in cryptography"

IKE_EXTRA="cookie_threshold = 0;"
IKE_OUTER6=1
IKE_LISTEN="\"$DP_OUT4\", \"$DP_OUT6\""
ike_write_conf
charon_conf <<EOF
connections {
  good {
    version = 2
    remote_addrs = $DP_OUT4
    vips = 0.0.0.0
    local {
      auth = psk
      id = client@example.test
    }
    remote {
      auth = psk
      id = vpn.example.test
    }
    children {
      good {
        remote_ts = $LAN_NET4
      }
    }
  }
}
secrets {
  ike-good {
    id = client@example.test
    secret = "$PSK_GOOD"
  }
}
EOF
ike_start_all

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$cp_pid/status"; }
half_open() { # prints "SESSIONS HALF_OPEN"
	ctl --json show sessions | "$SCAPY_PY" -c \
		'import json,sys; j=json.load(sys.stdin); print(j["count"], j["half_open"])'
}
read -r s0 h0 < <(half_open) || fail "rampartctl --json show sessions"
[ "$s0 $h0" = "0 0" ] || fail "before the burst: $s0 sessions, $h0 half-open (expected none)"
rss0=$(rss)
ok "before the burst: no session, no half-open SA, rampartd RSS $rss0 kB"

# --- the burst: over IPv4, then (smaller) over IPv6 ------------------------------------------
made=0
for v in 4 6; do
	if [ $v = 4 ]; then dst=$DP_OUT4 src=$CL_OUT4 flood=400; else dst=$DP_OUT6 src=$CL_OUT6 flood=100; fi
	timeout 90 ip netns exec "$NS_CL" "$SCAPY_PY" "$(dirname "$0")/tools/ike_garbage.py" \
		--dst "$dst" --src "$src" --flood $flood --max-messages 5000 --max-seconds 40 \
		--half-open >"$WORK/garbage$v" 2>&1
	rc=$?
	sed 's/^/  /' "$WORK/garbage$v"
	summary=$(tail -n 1 "$WORK/garbage$v")
	[ $rc = 0 ] || { echo "--- rampartd"; tail -n 20 "$WORK/cp.log"; fail "malformed input over IPv$v: rc $rc (violations above)"; }
	ok "burst to $dst sent and checked: $summary"
	made=$((made + $(echo "$summary" | "$SCAPY_PY" -c 'import json,sys; print(json.load(sys.stdin)["half_open_made"])')))
done

kill -0 "$cp_pid" 2>/dev/null || { tail -n 30 "$WORK/cp.log"; fail "rampartd died during the burst"; }
kill -0 "$dp_pid" 2>/dev/null || { tail -n 30 "$WORK/dp.log"; fail "rampart-dp died during the burst"; }
ctl status >"$WORK/status" 2>&1 || { cat "$WORK/status"; fail "rampartctl status after the burst"; }
ok "rampartd and rampart-dp still run; rampartctl status answers"
read -r s1 h1 < <(half_open) || fail "rampartctl --json show sessions after the burst"
# (show sessions counts the half-open SAs among the sessions; the tool's own half-open SAs
# may already be gone after their failed IKE_AUTH)
if [ "$s1" != "$h1" ] || [ "$h1" -gt "$made" ]; then
	ctl show sessions
	fail "$s1 sessions, $h1 half-open after the burst (expected at most the $made half-open made on purpose)"
fi
ok "after the burst: no session; $h1 half-open SAs (the tool made $made on purpose)"
rss1=$(rss)
[ $((rss1 - rss0)) -lt 8192 ] || fail "rampartd's RSS grew from $rss0 kB to $rss1 kB during the burst"
ok "rampartd RSS $rss0 kB -> $rss1 kB"
grep -c "dropped message" "$WORK/cp.log" | sed 's/^/  rampartd log lines "dropped message" (rate-limited): /'

# --- a legitimate client still gets in --------------------------------------------------------
start_charon
ok "charon up (pid $charon_pid) in $NS_CL"
if ! sw --initiate --ike good --child good --timeout 20 >"$WORK/initiate" 2>&1; then
	tail -n 15 "$WORK/initiate"
	echo "--- rampartd"; tail -n 30 "$WORK/cp.log"
	fail "swanctl --initiate after the burst failed"
fi
grep -q "COOKIE" "$CH/charon.log" || fail "charon's log shows no COOKIE exchange"
vip=$(wait_vip "$POOL_NET." 5) || { ip -n "$NS_CL" addr; fail "no virtual IP after the burst"; }
wait_ping "$NS_CL" "$LAN_HOST4" 10 || fail "ping $LAN_HOST4 through the tunnel after the burst"
read -r s2 h2 < <(half_open)
[ $((s2 - h2)) = 1 ] || { ctl show sessions; fail "$((s2 - h2)) established sessions with the legitimate client (expected 1)"; }
ok "a legitimate client connects after the burst (cookie exchange), gets $vip and pings $LAN_HOST4"
tcp_transfer "$NS_LAN" "$LAN_HOST4" "$NS_CL" 5230 300000 300000 20 >"$WORK/xfer" 2>&1 ||
	{ cat "$WORK/xfer" "$WORK/xfer.cli" "$WORK/xfer.srv" 2>/dev/null; fail "TCP transfer after the burst"; }
ok "$(cat "$WORK/xfer")"
ctl show sessions >"$WORK/sessions" 2>&1 || { cat "$WORK/sessions"; fail "rampartctl show sessions"; }
sed 's/^/  /' "$WORK/sessions"
grep -Eq "traffic in [1-9][0-9]* packets [1-9][0-9]* bytes, out [1-9][0-9]* packets [1-9][0-9]* bytes" \
	"$WORK/sessions" || fail "show sessions does not show non-zero CHILD_SA counters"
ok "rampartctl show sessions lists the client's session with non-zero dataplane counters"

{ kill -0 "$dp_pid" && kill -0 "$cp_pid"; } || fail "rampart-dp or rampartd died"
echo "PASS"
