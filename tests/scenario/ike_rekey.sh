#!/usr/bin/env bash
# CHILD_SA and IKE_SA rekeying with a real strongSwan client during running TCP transfers,
# first started by the client, then by rampartd.
#
#   rp-cl-ID (charon)         rp-dp-ID: rampart-dp + rampartd        rp-lan-ID
#   192.0.2.2 --------------- outside [rampart-dp] inside ----------- 198.51.100.10
#                             tap 192.0.2.1 (IKE)
#   (set-up: ike_lib.sh; topology: netns.sh netns_topo_dp)
#
# rampartd: ike.child_lifetime = 20 s, ike.lifetime = 40 s (it rekeys what the client has
# not rekeyed by then), ike.crypto_threads = 2 (the DH of every rekey on those workers).
# Phase 1, connection "rk": charon rekeys on its own timers, before rampartd would: the
#   CHILD_SA every ~15 s with PFS (esp_proposals aes128gcm16-x25519: CREATE_CHILD_SA with
#   REKEY_SA and a KE), the IKE_SA every ~25 s (an IKE proposal with new SPIs and a KE), and
#   deletes what it replaced.
# Phase 2, connection "ours": charon never rekeys on its own (rekey_time = 0): rampartd
#   rekeys the CHILD_SA at 20 s and the IKE_SA at 40 s (becoming the new IKE_SA's original
#   initiator) and deletes what it replaced. The CHILD_SA it rekeys has PFS (charon rekeys
#   the one of IKE_AUTH once by hand, esp_proposals aes128gcm16-x25519), so rampartd's
#   request carries a KE too.
# Every rekey thus has a Diffie-Hellman: rampartd computes it on its ike.crypto_threads
#   workers (the default), answering the client's and completing its own.
# In each phase a TCP transfer (paced at 500 kB/s each way) runs across the rekeys.
#
# Checks, per phase: while the transfer is still running, both rekeys have happened (charon's
# log and rampartd's); the transfer completes with matching SHA-256 sums in both directions
# (no broken connection through make-before-break); afterwards `rampartctl show sessions`
# lists exactly one session, ESTABLISHED, whose counters are at least the transfer's bytes
# each way (they include the replaced CHILD_SAs: no reset at a rekey), rampart-dp holds
# exactly the current CHILD_SA's two SAs (the replaced ones were deleted), whose SPIs are
# those charon shows, and ping still works.
#
# Skips (77): as ike_psk.sh (root, netns, TUN, scapy, 2 CPUs, PMDs, rampart-dp, charon).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/ike_lib.sh"
ike_need
IKE_EXTRA="child_lifetime = 20;
  lifetime = 40;
  crypto_threads = 2;"
ike_write_conf
conn() { # NAME IKE_REKEY CHILD_REKEY ESP_PROPOSALS
	cat <<EOF
  $1 {
    version = 2
    remote_addrs = $DP_OUT4
    vips = 0.0.0.0
    rekey_time = $2
    local {
      auth = psk
      id = client@example.test
    }
    remote {
      auth = psk
      id = vpn.example.test
    }
    children {
      $1 {
        remote_ts = $LAN_NET4
        esp_proposals = $4
        rekey_time = $3
      }
    }
  }
EOF
}
charon_conf <<EOF
connections {
$(conn rk 25s 15s aes128gcm16-x25519)
$(conn ours 0 0 aes128gcm16-x25519)
}
secrets {
  ike-good {
    id = client@example.test
    secret = "$PSK_GOOD"
  }
}
EOF
ike_start_all
grep -q "DH on 2 worker threads" "$WORK/cp.log" ||
	{ tail -n 20 "$WORK/cp.log"; fail "rampartd does not run its DH on 2 worker threads"; }
ok "rampartd: DH on 2 worker threads (ike.crypto_threads)"
start_charon
ok "charon up (pid $charon_pid) in $NS_CL"

XFER=$S/tests/scenario/tools/tcp_xfer.py
RATE=500000

connect() { # CONNECTION
	if ! sw --initiate --ike "$1" --child "$1" --timeout 20 >"$WORK/initiate" 2>&1; then
		tail -n 15 "$WORK/initiate"
		echo "--- rampartd"; tail -n 30 "$WORK/cp.log"
		fail "swanctl --initiate $1 failed"
	fi
	vip=$(wait_vip "$POOL_NET." 5) || { ip -n "$NS_CL" addr; fail "no virtual IP from $POOL_NET.0/24"; }
	wait_ping "$NS_CL" "$LAN_HOST4" 10 || fail "ping $LAN_HOST4 through the tunnel"
	ok "$1: connected, virtual IP $vip, ping through the tunnel"
}

xfer_start() { # PORT BYTES
	ip netns exec "$NS_LAN" "$SCAPY_PY" "$XFER" serve --bind "$LAN_HOST4" --port "$1" \
		--send "$2" --rate $RATE --timeout 150 >"$WORK/xfer.srv" 2>&1 &
	srv_pid=$!
	PIDS+=("$srv_pid")
	ip netns exec "$NS_CL" "$SCAPY_PY" "$XFER" connect --to "$LAN_HOST4" --port "$1" \
		--send "$2" --rate $RATE --timeout 150 >"$WORK/xfer.cli" 2>&1 &
	cli_pid=$!
	PIDS+=("$cli_pid")
	xfer_size=$2
	ok "TCP transfer started: $2 bytes each way at $RATE bytes/s"
}

xfer_check() {
	local rc=0
	wait "$cli_pid" || rc=1
	wait "$srv_pid" || rc=1
	"$SCAPY_PY" - "$WORK/xfer.cli" "$WORK/xfer.srv" "$xfer_size" <<'PYEOF' >"$WORK/xfer" || rc=1
import json, sys
try:
    c, s = (json.loads(open(f).read().strip().splitlines()[-1]) for f in sys.argv[1:3])
except (ValueError, IndexError, OSError) as e:
    print("transfer: no result (%s)" % e); sys.exit(1)
n = int(sys.argv[3])
if "error" in c or "error" in s:
    print("transfer failed: client %s, server %s" % (c, s)); sys.exit(1)
good = (c["sent"] == n == s["received"] and c["sent_sha256"] == s["received_sha256"] and
        s["sent"] == n == c["received"] and s["sent_sha256"] == c["received_sha256"])
print("transfer: %d bytes up, %d down in %.1f s, SHA-256 %s" %
      (s["received"], c["received"], c["seconds"], "match" if good else "MISMATCH"))
sys.exit(0 if good else 1)
PYEOF
	[ $rc = 0 ] || { cat "$WORK/xfer" "$WORK/xfer.cli" "$WORK/xfer.srv"; fail "the TCP transfer across the rekeys"; }
	ok "$(cat "$WORK/xfer")"
}

# wait_rekeys WHAT TEST...: until every TEST (a function) succeeds, while the transfer runs.
wait_rekeys() {
	local what=$1 end=$((SECONDS + 90)) t done
	shift
	while :; do
		done=1
		for t in "$@"; do $t || done=0; done
		[ $done = 1 ] && break
		if [ $SECONDS -ge $end ] || ! kill -0 "$charon_pid" 2>/dev/null; then
			grep -i "rekey\|CREATE_CHILD\|delet" "$CH/charon.log" | tail -n 30
			echo "--- rampartd"; grep -i "rekey\|CREATE_CHILD\|delet\|refused" "$WORK/cp.log" | tail -n 30
			fail "$what: not all rekeys seen within 90 s"
		fi
		sleep 1
	done
	kill -0 "$cli_pid" 2>/dev/null ||
		fail "$what: the transfer ended before the rekeys (it cannot show they do not break it)"
	ok "$what: rekeys seen while the transfer is running"
}

# One session with non-zero counters, exactly the current CHILD_SA in rampart-dp, its SPIs
# the ones charon uses (retried: a rekey may be in flight at any moment).
settled() {
	"$CTL" -c "$conf" show sessions >"$WORK/sessions" 2>&1 &&
		grep -q "^1 session " "$WORK/sessions" && [ "$(n_sas)" = 2 ]
}
spis_match() {
	"$CTL" -c "$conf" show sessions detail >"$WORK/detail" 2>&1 || return 1
	sw --list-sas 2>&1 | grep -v "^plugin '.*failed to load" >"$WORK/sas"
	read -r spi_in spi_out < <(sed -n 's/.*SPI in \([0-9a-f]*\) out \([0-9a-f]*\).*/\1 \2/p' "$WORK/detail" | head -n 1)
	[ -n "${spi_in:-}" ] && grep -Eq "^ *in +$spi_out," "$WORK/sas" && grep -Eq "^ *out +$spi_in," "$WORK/sas"
}
check_after() { # PHASE
	within 30 settled || { cat "$WORK/sessions"; echo "SAs: $(n_sas)"; fail "$1: not exactly 1 session and 2 SAs in rampart-dp after the rekeys"; }
	sed 's/^/  /' "$WORK/sessions"
	grep -q " ESTABLISHED .* $vip " "$WORK/sessions" || fail "$1: the session is not ESTABLISHED with $vip"
	grep -Eq "traffic in [1-9][0-9]* packets [1-9][0-9]* bytes, out [1-9][0-9]* packets [1-9][0-9]* bytes" \
		"$WORK/sessions" || fail "$1: show sessions does not show non-zero counters"
	ok "$1: show sessions: one ESTABLISHED session with $vip and non-zero counters; rampart-dp: 2 SAs"
	# the session's counters include the CHILD_SAs the rekeys replaced: at least the
	# transfer's bytes each way (a count restarting at each rekey would show a fraction)
	read -r b_in b_out < <(sed -n 's/.*traffic in [0-9]* packets \([0-9]*\) bytes, out [0-9]* packets \([0-9]*\) bytes.*/\1 \2/p' "$WORK/sessions")
	[ "${b_in:-0}" -ge "$xfer_size" ] && [ "${b_out:-0}" -ge "$xfer_size" ] ||
		fail "$1: session counters ($b_in bytes in, $b_out out) below the $xfer_size bytes each way that went through"
	ok "$1: counters span the rekeys: $b_in bytes in, $b_out out (transfer: $xfer_size each way)"
	spi_in="" spi_out=""
	within 20 spis_match ||
		{ sed 's/^/  /' "$WORK/sas"; sed 's/^/  /' "$WORK/detail"; fail "$1: charon's current CHILD_SA SPIs are not the ones rampartd shows"; }
	ok "$1: current CHILD_SA: SPI in $spi_in, out $spi_out on both sides"
	wait_ping "$NS_CL" "$LAN_HOST4" 10 || fail "$1: ping after the rekeys"
	ok "$1: ping after the rekeys"
}

# --- phase 1: the client rekeys ------------------------------------------------------------
# rampartd's own account of each rekey (ike_create.c) and charon's
peer_child_rekeyed() {
	grep -q "CHILD_SA .* rekeyed, new .*PFS" "$WORK/cp.log" &&
		grep -q "activating CHILD_REKEY task" "$CH/charon.log" &&
		grep -q "parsed CREATE_CHILD_SA response [0-9]* \[ SA No KE TSi TSr \]" "$CH/charon.log"
}
peer_ike_rekeyed() {
	grep -q "rekeyed by the peer: now" "$WORK/cp.log" &&
		grep -q "activating IKE_REKEY task" "$CH/charon.log" &&
		grep -q "IKE_SA rk\[[0-9]*\] state change: .* => REKEYED" "$CH/charon.log"
}
connect rk
xfer_start 5230 30000000
wait_rekeys "phase 1 (client rekeys)" peer_child_rekeyed peer_ike_rekeyed
grep "rekeyed" "$WORK/cp.log" | sed 's/^/  /' | head -n 4
xfer_check
n_child=$(grep -c "CHILD_SA .* rekeyed, new" "$WORK/cp.log")
n_ike=$(grep -c "rekeyed by the peer: now" "$WORK/cp.log")
ok "phase 1: rampartd answered $n_child CHILD_SA rekey(s) and $n_ike IKE_SA rekey(s)"
check_after "phase 1"

sw --terminate --ike rk --timeout 10 >"$WORK/term" 2>&1 || { cat "$WORK/term"; fail "swanctl --terminate"; }
within 10 sh -c "'$CTL' -c '$conf' show sessions | grep -q '^0 sessions'" ||
	{ ctl show sessions; fail "the session is still listed after the client deleted the IKE_SA"; }
for _ in $(seq 50); do n=$(n_sas); [ "$n" = 0 ] && break; sleep 0.2; done
[ "$n" = 0 ] || fail "rampart-dp still has $n SAs after the client deleted the IKE_SA"
ok "phase 1 session closed: no session, no SA in rampart-dp"

# --- phase 2: rampartd rekeys --------------------------------------------------------------
our_child_rekeyed() {
	grep -q "rekeying CHILD_SA .*, PFS)" "$WORK/cp.log" &&
		grep -q "CHILD_SA .* rekeyed by us, new" "$WORK/cp.log" &&
		grep -q "parsed CREATE_CHILD_SA request [0-9]* \[ N(REKEY_SA) SA No KE TSi TSr \]" "$CH/charon.log"
}
our_ike_rekeyed() {
	grep -q "rekeyed by us: now" "$WORK/cp.log" &&
		grep -q "parsed CREATE_CHILD_SA request [0-9]* \[ SA No KE \]" "$CH/charon.log"
}
connect ours
# the CHILD_SA of IKE_AUTH has no DH group of its own (RFC 7296 §1.3.1): replaced by one
# with PFS, which rampartd's own rekey then keeps
n_before=$(grep -c "CHILD_SA .* rekeyed, new .*PFS" "$WORK/cp.log")
sw --rekey --child ours >"$WORK/rekey" 2>&1 || { cat "$WORK/rekey"; fail "swanctl --rekey --child ours"; }
pfs_child() { [ "$(grep -c "CHILD_SA .* rekeyed, new .*PFS" "$WORK/cp.log")" -gt "$n_before" ]; }
within 10 pfs_child || fail "phase 2: charon's rekey of the CHILD_SA with PFS not answered"
ok "phase 2: CHILD_SA rekeyed by charon with PFS (x25519)"
xfer_start 5231 30000000
wait_rekeys "phase 2 (rampartd rekeys)" our_child_rekeyed our_ike_rekeyed
grep "rekeyed by us\|rekeying" "$WORK/cp.log" | sed 's/^/  /' | head -n 4
xfer_check
check_after "phase 2"

{ kill -0 "$dp_pid" && kill -0 "$cp_pid"; } || fail "rampart-dp or rampartd died"
echo "PASS"
