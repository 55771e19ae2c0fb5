# Shared set-up of the IKEv2 scenarios (sourced after lib.sh and netns.sh): rampart-dp between
# a strongSwan client and a LAN, rampartd behind rampart-dp's exception port, charon (kernel-
# libipsec) in the client namespace.
#
#   rp-cl-ID (charon)                  rp-dp-ID                                    rp-lan-ID
#   out0 192.0.2.2 --veth-- dp-out [ rampart-dp ] dp-in --veth-- lan0 198.51.100.10
#                           outside (net_af_packet)  inside (net_af_packet)
#                           |  exception port kern-o (net_tap, kernel interface $TAP)
#                           |  192.0.2.1/24: rampartd's IKE sockets, UDP 500 and 4500
#
# Typical use:
#   . lib.sh; . netns.sh; . ike_lib.sh
#   ike_need                                 # skips (77) unless this machine can run it
#   IKE_PEERS=...; IKE_EXTRA=...             # optional, see "Variables" below
#   ike_write_conf                           # $conf, checked by rampart-dp and rampartd
#   charon_conf <<EOF ... EOF                # swanctl.conf (connections + secrets) on stdin
#   ike_start_all                            # topology, rampart-dp, tap, rampartd
#   start_charon                             # charon + swanctl --load-all
#   sw --initiate --ike good --child good --timeout 20
#   vip=$(wait_vip "$POOL_NET." 5)
#
# Functions
#   ike_need             skip checks (root, netns, TUN, scapy, 2 CPUs, net_af_packet and
#                        net_tap PMDs, rampart-dp, charon, swanctl, unshare, dpdk-telemetry);
#                        sets cpu0, cpu1
#   ike_write_conf       writes $conf (instance, control, management, dataplane with the
#                        outside, inside and exception ports, ike section), runs both daemons'
#                        --check-config on it
#   charon_conf          writes $CH/strongswan.conf (kernel-libipsec, own vici socket, log
#                        file $CH/charon.log) and, from stdin, $CH/swanctl/swanctl.conf
#   ike_start_all        ike_topo + ike_start_dp + ike_start_cp
#   ike_topo             netns_topo_dp, LAN routes to the pools, rampart-dp's namespace
#                        hardened (no ARP / IP on dp-out, dp-in)
#   ike_start_dp         rampart-dp (dp_pid), the exception tap with $DP_OUT4 (and $DP_OUT6
#                        with IKE_OUTER6=1), the client pings it
#   ike_start_cp         rampartd (cp_pid), waits until it answers and listens on :4500 of
#                        $DP_OUT4 / [$DP_OUT6] (those IKE_LISTEN names)
#   start_charon         charon in $NS_CL (charon_pid; a private /run), swanctl --load-all
#   sw CMD [ARGS]        swanctl against our charon
#   ctl ARGS             rampartctl against our rampartd (replaces netns.sh's ctl)
#   snap PATH...         rampart-dp telemetry values (debugging aid)
#   n_sas                number of SAs in rampart-dp (telemetry /rampart/sa)
#   wait_vip PREFIX SECONDS [-4|-6]
#                        prints the client's first address starting with PREFIX (empty and
#                        non-zero status if none appears within SECONDS)
#   ike_traffic_check TAG VIP ID PORT
#                        TCP transfer to the LAN host both ways, the session in show
#                        sessions with VIP, ID and non-zero counters
#   charon_reset [PREFIX...]
#                        after killing charon: removes its TUN devices and the client's
#                        addresses starting with PREFIX (default "$POOL_NET.")
#   ike_start_radius DIR [NAME [OUT]]
#                        FreeRADIUS (freeradius -X -d DIR/raddb, made by tests/aaa/
#                        radius_env.sh's rad_setup) in $NS_DP; output OUT (default
#                        DIR/radiusd.out); rad_pid and DIR/pid; fails unless it gets ready
#   ike_terminate CONN VIP [ID]
#                        swanctl --terminate CONN; VIP leaves the client, and with ID the
#                        session leaves rampartd's show sessions
#   eap_tunnel CONN IKE_ID WHAT EAP_ID MSK PORT
#                        an EAP tunnel of charon's connection CONN end to end (see below)
#
# Variables (set before ike_write_conf / ike_topo to change the defaults)
#   IKE_LISTEN           ike.listen entries, quoted and comma separated ("\"$DP_OUT4\"")
#   IKE_LOCAL_SUBNETS    ike.local_subnets entries ("\"$LAN_NET4\"")
#   IKE_POOL             the pool group and following settings (pool 198.18.200.10-250,
#                        DNS $LAN_DNS); empty string: no pool line
#   IKE_PEERS            the peers list content (client@ / wrong@example.test, $PSK_GOOD,
#                        $PSK_BAD_SERVER)
#   IKE_EXTRA            more lines inside the ike section (e.g. ipv6_pool, cookie_threshold)
#   RAMPART_EXTRA        more top-level sections after ike (e.g. pki, ikev2)
#   IKE_OUTSIDE_DEVARGS  appended to the outside port's device string (",framesz=8192")
#   IKE_OUTSIDE_EXTRA    more settings of the outside port ("mtu = 9000;")
#   IKE_DP_EXTRA         more settings of the dataplane section ("mbuf_data_room = 8192;")
#   IKE_LAN_ROUTES       prefixes the LAN host routes via rampart-dp ("$POOL_NET.0/24";
#                        netns.sh already routes $VIP_NET4 and $VIP_NET6)
#   IKE_OUTER6           1: the tap also gets $DP_OUT6 (rampart-dp's namespace keeps IPv6 on
#                        the tap only)
#   CHARON_PLUGINS       charon's plugin list (the PSK set; add x509 pem pkcs1 ... for certs)
#   CHARON_EXTRA         more lines inside the charon { } section
#   CHARON_PLUGIN_CONF   more lines inside charon.plugins { } (e.g. resolve { file = ... })
# shellcheck disable=SC2034 # variables for the scripts that source this
# Set by the library: inst, TAP, conf, REGION, POOL_NET, LAN_DNS, PSK_GOOD, PSK_BAD_SERVER,
# PSK_BAD_CLIENT, CH (charon's directory), CHARON, TELEMETRY, DP_TEL, cpu0, cpu1, dp_pid,
# cp_pid, charon_pid.

CHARON=/usr/lib/ipsec/charon
TELEMETRY=/usr/bin/dpdk-telemetry.py
DP_TEL=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/tools/dp_tel.py
inst=scike$$
TAP=rpike$$
TAP=${TAP:0:12}-o
conf=$WORK/rampart.conf
REGION=$WORK/$inst.ctl
POOL_NET=198.18.200
LAN_DNS=198.51.100.53
PSK_GOOD="rampart-scenario-psk-1"
PSK_BAD_SERVER="the-key-rampartd-has"
PSK_BAD_CLIENT="not-the-key-rampartd-has"
CH=$WORK/charon
scenario_cleanup() { rm -rf "/var/run/dpdk/rampart-$inst"; }

ike_need() {
	netns_need
	[ -x "$DP" ] || skip "rampart-dp not built (no DPDK)"
	[ -x "$CHARON" ] || skip "no $CHARON (apt install strongswan-charon libcharon-extra-plugins)"
	command -v swanctl >/dev/null || skip "no swanctl (apt install strongswan-swanctl)"
	command -v unshare >/dev/null || skip "no unshare (util-linux)"
	read -r cpu0 cpu1 < <("$SCAPY_PY" -c 'import os; print(*sorted(os.sched_getaffinity(0))[:2])')
	[ -n "${cpu1:-}" ] || skip "needs 2 CPUs (main lcore + one worker)"
	ls /usr/lib/*/dpdk/pmds-*/librte_net_af_packet.so* >/dev/null 2>&1 || skip "no net_af_packet PMD"
	ls /usr/lib/*/dpdk/pmds-*/librte_net_tap.so* >/dev/null 2>&1 || skip "no net_tap PMD"
	[ -x "$TELEMETRY" ] || skip "no $TELEMETRY (Debian package dpdk)"
}

# --- configuration: one file for rampart-dp and rampartd --------------------------------
ike_write_conf() {
	local listen=${IKE_LISTEN-\"$DP_OUT4\"}
	local subnets=${IKE_LOCAL_SUBNETS-\"$LAN_NET4\"}
	local pool=${IKE_POOL-"pool = { first = \"$POOL_NET.10\"; last = \"$POOL_NET.250\"; dns = [ \"$LAN_DNS\" ]; };"}
	local peers=${IKE_PEERS-"{ identity = \"email client@example.test\"; pre_shared_key = \"$PSK_GOOD\"; },
    { identity = \"email wrong@example.test\"; pre_shared_key = \"$PSK_BAD_SERVER\"; }"}
	local out
	cat >"$conf" <<EOF
instance = "$inst";
log = { level = "info"; };
control = { region = "$REGION"; slots = 256; };
management = { socket = "$WORK/$inst.sock"; };
dataplane = {
  main_lcore = $cpu0;
  workers = [ $cpu1 ];
  hugepages = false;
  memory_mb = 256;
  idle_sleep_us = 50;
  sa_max = 64;
  ${IKE_DP_EXTRA:-}
  ports = (
    { name = "outside"; role = "outside"; device = "net_af_packet0,iface=dp-out${IKE_OUTSIDE_DEVARGS:-}";
      gateway_mac = "$MAC_CL_OUT"; ${IKE_OUTSIDE_EXTRA:-}
      neighbors = ( { ip = "$CL_OUT4"; mac = "$MAC_CL_OUT"; } ); },
    { name = "inside";  role = "inside";  device = "net_af_packet1,iface=dp-in";
      gateway_mac = "$MAC_LAN";
      neighbors = ( { ip = "$LAN_HOST4"; mac = "$MAC_LAN"; } ); },
    { name = "kern-o";  role = "exception"; device = "net_tap0,iface=$TAP"; serves = "outside"; }
  );
};
ike = {
  listen = [ $listen ];
  local_id = "fqdn vpn.example.test";
  local_subnets = [ $subnets ];
  $pool
  peers = (
    $peers
  );
  ${IKE_EXTRA:-}
};
${RAMPART_EXTRA:-}
EOF
	out=$("$DP" -c "$conf" --check-config 2>&1) || { echo "$out" | tail -n 20; fail "rampart-dp --check-config"; }
	out=$("$CPD" -c "$conf" --check-config 2>&1) || { echo "$out" | tail -n 20; fail "rampartd --check-config"; }
	ok "one configuration accepted by rampart-dp and rampartd ($conf)"
}

# --- strongSwan client: own strongswan.conf, swanctl dir, vici socket and /run (pid file) ---
CHARON_PLUGINS="random nonce openssl aes sha1 sha2 hmac kdf gcm curve25519 kernel-libipsec kernel-netlink socket-default attr vici"
charon_conf() { # swanctl.conf on stdin
	mkdir -p "$CH/run" "$CH/swanctl/conf.d"
	cat >"$CH/strongswan.conf" <<EOF
charon {
  load_modular = no
  load = $CHARON_PLUGINS
  install_virtual_ip = yes
  retransmit_tries = 2
  retransmit_timeout = 1.0
  ${CHARON_EXTRA:-}
  plugins {
    vici {
      socket = unix://$CH/run/charon.vici
    }
    ${CHARON_PLUGIN_CONF:-}
  }
  filelog {
    charon-log {
      path = $CH/charon.log
      time_format = %T
      ike_name = yes
      default = 1
      ike = 2
      cfg = 2
      knl = 2
      flush_line = yes
      append = no
    }
  }
}
EOF
	cat >"$CH/swanctl/swanctl.conf"
}

sw() { # swanctl COMMAND [options]: the command first, then --uri
	local c=$1; shift
	SWANCTL_DIR=$CH/swanctl swanctl "$c" --uri "unix://$CH/run/charon.vici" "$@"
}

# --- topology, rampart-dp, the exception port's kernel side, rampartd ----------------------
ike_topo() {
	local r
	netns_topo_dp
	# The LAN host routes the pool through rampart-dp's inside port.
	for r in ${IKE_LAN_ROUTES-$POOL_NET.0/24}; do
		case $r in
		*:*) ip -n "$NS_LAN" -6 route add "$r" via "$LAN_GW6" dev lan0 || fail "lan route to $r" ;;
		*) ip -n "$NS_LAN" route add "$r" via "$LAN_GW4" dev lan0 || fail "lan route to the pool" ;;
		esac
	done
	# rampart-dp owns dp-out / dp-in: the dp namespace's own stack (which holds 192.0.2.1 on
	# the tap) must not answer ARP on them nor accept IP through them.
	ip netns exec "$NS_DP" sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
	for l in dp-out dp-in; do
		ip netns exec "$NS_DP" sysctl -qw "net.ipv4.conf.$l.arp_ignore=8" "net.ipv4.conf.$l.rp_filter=1"
	done
	ok "namespaces $NS_CL, $NS_DP, $NS_LAN up"
}

ike_start_dp() {
	ip netns exec "$NS_DP" "$DP" -c "$conf" >"$WORK/dp.log" 2>&1 &
	dp_pid=$!
	PIDS+=("$dp_pid")
	if ! within 30 sh -c "grep -q 'rampart-dp running' '$WORK/dp.log' || ! kill -0 $dp_pid" ||
		! grep -q "rampart-dp running" "$WORK/dp.log"; then
		tail -n 30 "$WORK/dp.log"
		fail "rampart-dp did not come up"
	fi
	ok "rampart-dp up (pid $dp_pid) in $NS_DP"
	within 10 ip -n "$NS_DP" link show "$TAP" || fail "no exception tap $TAP"
	ip -n "$NS_DP" addr add "$DP_OUT4/24" dev "$TAP" || fail "address on $TAP"
	if [ "${IKE_OUTER6:-0}" = 1 ]; then
		# IPv6 is off in rampart-dp's namespace (netns_topo_dp); on for the tap only.
		ip netns exec "$NS_DP" sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=0" ||
			fail "IPv6 on $TAP"
		ip -n "$NS_DP" -6 addr add "$DP_OUT6/64" dev "$TAP" nodad || fail "address $DP_OUT6 on $TAP"
	fi
	ip -n "$NS_DP" link set "$TAP" up
	ip -n "$NS_DP" neigh replace "$CL_OUT4" lladdr "$MAC_CL_OUT" dev "$TAP" nud permanent
	[ "${IKE_OUTER6:-0}" = 1 ] &&
		ip -n "$NS_DP" -6 neigh replace "$CL_OUT6" lladdr "$MAC_CL_OUT" dev "$TAP" nud permanent
	wait_ping "$NS_CL" "$DP_OUT4" 10 || { tail -n 20 "$WORK/dp.log"; fail "client cannot ping $DP_OUT4 (exception path)"; }
	ok "client reaches $DP_OUT4 through the exception port ($TAP)"
	if [ "${IKE_OUTER6:-0}" = 1 ]; then
		wait_ping "$NS_CL" "$DP_OUT6" 10 ||
			{ tail -n 20 "$WORK/dp.log"; fail "client cannot ping $DP_OUT6 (exception path)"; }
		ok "client reaches $DP_OUT6 through the exception port ($TAP)"
	fi
}

ctl() { "$CTL" -c "$conf" "$@"; }

ike_start_cp() {
	local a listen
	ip netns exec "$NS_DP" "$CPD" -c "$conf" >"$WORK/cp.log" 2>&1 &
	cp_pid=$!
	PIDS+=("$cp_pid")
	if ! within 20 sh -c "'$CTL' -c '$conf' status >/dev/null 2>&1 || ! kill -0 $cp_pid"; then
		tail -n 30 "$WORK/cp.log"
		fail "rampartd did not come up"
	fi
	kill -0 "$cp_pid" 2>/dev/null || { tail -n 30 "$WORK/cp.log"; fail "rampartd exited"; }
	listen=${IKE_LISTEN-\"$DP_OUT4\"}
	for a in "$DP_OUT4:4500" "[$DP_OUT6]:4500"; do
		case $a in
		\[*) case $listen in *"\"$DP_OUT6\""*) ;; *) continue ;; esac ;;
		*) case $listen in *"\"$DP_OUT4\""*) ;; *) continue ;; esac ;;
		esac
		within 10 sh -c "ip netns exec '$NS_DP' ss -lun | grep -qF '$a'" ||
			{ tail -n 30 "$WORK/cp.log"; fail "rampartd does not listen on $a"; }
		ok "rampartd up (pid $cp_pid), IKE on ${a%:4500}:500 and :4500"
	done
}

ike_start_all() {
	ike_topo
	ike_start_dp
	ike_start_cp
}

# --- charon in the client namespace ---------------------------------------------------------
start_charon() {
	rm -f "$CH/run/charon.pid" "$CH/run/charon.vici"
	ip netns exec "$NS_CL" unshare -m --propagation private sh -c \
		"mount --bind '$CH/run' /run && STRONGSWAN_CONF='$CH/strongswan.conf' exec $CHARON" \
		>>"$CH/charon.stdout" 2>&1 </dev/null &
	charon_pid=$!
	PIDS+=("$charon_pid")
	within 10 test -S "$CH/run/charon.vici" || { cat "$CH/charon.stdout"; fail "charon did not come up"; }
	sw --load-all >"$WORK/swanctl.load" 2>&1 || { cat "$WORK/swanctl.load"; fail "swanctl --load-all"; }
}

# charon_reset [PREFIX...]: after `kill -KILL $charon_pid`, remove the killed charon's TUN
# devices and the client's addresses that start with a PREFIX (default "$POOL_NET.").
charon_reset() {
	local l p
	wait "$charon_pid" 2>/dev/null
	for l in $(ip -n "$NS_CL" -o link show | awk -F': ' '/ipsec[0-9]/{print $2}'); do
		ip -n "$NS_CL" link del "$l" 2>/dev/null # the killed charon's TUN device
	done
	[ $# -gt 0 ] || set -- "$POOL_NET."
	for p in "$@"; do
		ip -n "$NS_CL" -o addr show | awk -v p="$p" 'index($4, p) == 1 {print $2, $4}' |
			while read -r dev a; do ip -n "$NS_CL" addr del "$a" dev "$dev"; done
	done
}

# --- FreeRADIUS in rampartd's namespace (127.0.0.1) ------------------------------------------
ike_start_radius() {
	local dir=$1 name=${2:-FreeRADIUS} out=${3:-$1/radiusd.out}
	ip -n "$NS_DP" link set lo up
	ip netns exec "$NS_DP" freeradius -X -d "$dir/raddb" >"$out" 2>&1 </dev/null &
	rad_pid=$!
	echo "$rad_pid" >"$dir/pid"
	PIDS+=("$rad_pid")
	within 15 grep -q 'Ready to process requests' "$out" ||
		{ tail -n 20 "$out"; fail "$name did not start"; }
	ok "$name up (pid $rad_pid) on 127.0.0.1 in $NS_DP"
}

# ike_terminate CONN VIP [ID]: the client deletes its IKE SA CONN; its virtual IP VIP goes, and
# (with ID) rampartd no longer lists the session.
ike_terminate() {
	local conn=$1 vip=$2 id=${3:-}
	sw --terminate --ike "$conn" --timeout 10 >"$WORK/terminate.$conn" 2>&1 ||
		{ cat "$WORK/terminate.$conn"; fail "swanctl --terminate $conn"; }
	within 10 sh -c "! ip -n '$NS_CL' -o addr show | grep -q ' $vip/'" || fail "$vip stays on the client"
	[ -z "$id" ] || within 10 sh -c "! '$CTL' -c '$conf' show sessions 2>/dev/null | grep -q '$vip'" ||
		fail "the session of $id stays after the client deleted it"
}

# eap_tunnel CONN IKE_ID WHAT EAP_ID MSK(yes|no) PORT: charon's connection CONN (EAP, rampartd
# authenticated by its RSA certificate) up, then what every EAP scenario proves: rampartd
# names EAP_ID and says whether EAP gave an MSK, the virtual IP, traffic both ways, EAP_ID in
# show sessions, and the session gone after the client deletes it. The caller may define
# eap_tunnel_diag (more output when the initiation fails) and eap_tunnel_check EAP_ID (more
# checks once the tunnel is up).
eap_tunnel() {
	local conn=$1 id=$2 what=$3 eapid=$4 msk=$5 port=$6 vip line
	if ! sw --initiate --ike "$conn" --child "$conn" --timeout 30 >"$WORK/initiate.$conn" 2>&1; then
		tail -n 25 "$WORK/initiate.$conn"
		echo "--- rampartd"; tail -n 30 "$WORK/cp.log"
		! declare -F eap_tunnel_diag >/dev/null || eap_tunnel_diag
		fail "swanctl --initiate ($what) failed"
	fi
	ok "$what: IKE_SA and CHILD_SA established"
	grep -q "authentication of 'vpn.example.test' with RSA.* successful" "$CH/charon.log" ||
		{ grep -i "authentication of" "$CH/charon.log"; fail "charon did not verify rampartd's certificate"; }
	! declare -F eap_tunnel_check >/dev/null || eap_tunnel_check "$eapid"
	line=$(grep "authenticated by EAP as '$eapid'" "$WORK/cp.log" | tail -n 1)
	[ -n "$line" ] || { grep "ike:" "$WORK/cp.log" | tail -n 15; fail "rampartd's log does not name EAP identity $eapid"; }
	ok "rampartd: ${line#*ike: }"
	line=$(grep "EAP Success for" "$WORK/cp.log" | tail -n 1)
	case $msk:$line in
	yes:*"with an MSK"* | no:*"no MSK"*) ok "rampartd: ${line#*ike: }" ;;
	*) fail "MSK expected: $msk, rampartd says: $line" ;;
	esac
	vip=$(wait_vip "$POOL_NET." 5) || { ip -n "$NS_CL" addr; fail "no virtual IP from $POOL_NET.0/24"; }
	ok "client has virtual IP $vip"
	wait_ping "$NS_CL" "$LAN_HOST4" 10 || { tail -n 20 "$WORK/dp.log"; fail "ping $LAN_HOST4 through the tunnel ($what)"; }
	ike_traffic_check "$conn" "$vip" "$id" "$port"
	grep -q "EAP identity $eapid\$" "$WORK/sessions.$conn" ||
		fail "show sessions does not give EAP identity $eapid for $id"
	ok "show sessions: $id has EAP identity $eapid"
	ike_terminate "$conn" "$vip" "$id"
	ok "$what: terminated by the client, session gone"
}

snap() { "$SCAPY_PY" "$DP_TEL" get "rampart-$inst" "$@"; }  # debugging aid
n_sas() { "$SCAPY_PY" "$DP_TEL" get "rampart-$inst" /rampart/sa |
	"$SCAPY_PY" -c 'import json,sys; print(len(json.loads(sys.stdin.read().splitlines()[-1])["sa_ids"]))'; }

# wait_vip PREFIX SECONDS [-4|-6]: the client's first address that starts with PREFIX.
wait_vip() {
	local p=$1 end=$((SECONDS + $2)) fam=${3:--4} a
	while :; do
		a=$(ip -n "$NS_CL" "$fam" -o addr show | awk -v p="$p" 'index($4, p) == 1 {print $4; exit}')
		[ -n "$a" ] && { echo "${a%/*}"; return 0; }
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}

# ike_traffic_check TAG VIP ID PORT: what every successful IKE scenario proves: a TCP transfer
# both ways with the LAN host through the tunnel (SHA-256 checked), and the session in
# `rampartctl show sessions` with VIP, ID and non-zero dataplane counters.
ike_traffic_check() {
	local tag=$1 vip=$2 id=$3 port=$4
	if ! tcp_transfer "$NS_LAN" "$LAN_HOST4" "$NS_CL" "$port" 500000 500000 20 >"$WORK/xfer.$tag" 2>&1; then
		cat "$WORK/xfer.$tag" "$WORK/xfer.cli" "$WORK/xfer.srv" 2>/dev/null
		fail "TCP transfer through the tunnel ($tag)"
	fi
	ok "$(cat "$WORK/xfer.$tag")"
	ctl show sessions >"$WORK/sessions.$tag" 2>&1 || { cat "$WORK/sessions.$tag"; fail "rampartctl show sessions"; }
	sed 's/^/  /' "$WORK/sessions.$tag"
	grep -q "$vip" "$WORK/sessions.$tag" || fail "show sessions does not list $vip ($tag)"
	grep -qi "$id" "$WORK/sessions.$tag" || fail "show sessions does not name $id ($tag)"
	grep -Eq "traffic in [1-9][0-9]* packets [1-9][0-9]* bytes, out [1-9][0-9]* packets [1-9][0-9]* bytes" \
		"$WORK/sessions.$tag" || fail "show sessions does not show non-zero counters ($tag)"
	ok "rampartctl show sessions: $id with $vip and non-zero counters"
}

# ---- a test PKI under $P (= $WORK/pki) -------------------------------------------------------
# pki_ca "CA common name" [NAME [KEYSPEC]]: a self-signed CA $P/NAME.pem (default ca), key
#   $P/NAME.key; a common name starting with / is the whole subject.
# pki_cert NAME SUBJECT EXTENSIONS SERIAL [KEYSPEC [ISSUER]]: $P/NAME.pem and $P/NAME.key,
#   signed by $P/ISSUER (default ca); EXTENSIONS: printf %b text, one extension a line
#   ($PKI_CA_EXT for an intermediate CA, pki_leaf SAN EKU for an end entity). KEYSPEC is
#   openssl req's -newkey argument (default rsa:2048; "ec -pkeyopt ec_paramgen_curve:P-256").
# pki_server [KEYSPEC [ISSUER]]: rampartd's certificate vpn.example.test ($P/server.pem).
# pki_ca_db [CRL_DAYS]: an `openssl ca` database for $P/ca (index.txt, crlnumber, ca.cnf) to
#   revoke certificates and issue CRLs: ossl ca -config "$P/ca.cnf" -batch -revoke / -gencrl.
P=$WORK/pki
PKI_CA_EXT='basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n'
ossl() { openssl "$@" >>"$P/openssl.log" 2>&1 || { tail -n 5 "$P/openssl.log"; fail "openssl $1"; }; }
pki_ca() {
	local subj="/O=Rampart Test/CN=$1" n=${2:-ca}
	case $1 in /*) subj=$1 ;; esac
	mkdir -p "$P"
	# shellcheck disable=SC2086 # KEYSPEC may carry -pkeyopt
	ossl req -x509 -newkey ${3:-rsa:2048} -nodes -keyout "$P/$n.key" -out "$P/$n.pem" \
		-days 30 -subj "$subj" -addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign"
	chmod 600 "$P/$n.key"
}
pki_leaf() { # SAN EKU: the extensions of an end-entity certificate
	printf 'subjectAltName=%s\\nextendedKeyUsage=%s\\nbasicConstraints=CA:FALSE\\n' "$1" "$2"
}
pki_cert() {
	local ca=${6:-ca}
	mkdir -p "$P"
	# shellcheck disable=SC2086 # KEYSPEC may carry -pkeyopt
	ossl req -newkey ${5:-rsa:2048} -nodes -keyout "$P/$1.key" -out "$P/$1.csr" -subj "$2"
	printf '%b' "$3" >"$P/$1.ext"
	ossl x509 -req -in "$P/$1.csr" -CA "$P/$ca.pem" -CAkey "$P/$ca.key" -set_serial "$4" \
		-days 30 -out "$P/$1.pem" -extfile "$P/$1.ext"
	chmod 600 "$P/$1.key"
}
pki_server() {
	pki_cert server "/O=Rampart Test/CN=vpn.example.test" \
		"$(pki_leaf DNS:vpn.example.test serverAuth)" 2 "${1:-rsa:2048}" "${2:-ca}"
}
# shellcheck source=SCRIPTDIR/../pki/ca_db.sh
. "$(dirname "${BASH_SOURCE[0]}")/../pki/ca_db.sh"
pki_ca_db() { ca_db "$P" "${1:-30}"; }
