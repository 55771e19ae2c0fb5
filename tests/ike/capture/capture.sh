#!/bin/bash
# Capture strongSwan IKEv2 exchanges (PSK) between two charons in netns ikecap-i / ikecap-r.
set -x
D=/tmp/ikecap
for n in ikecap-i ikecap-r; do ip netns add $n; ip -n $n link set lo up; done
ip link add ic-i netns ikecap-i type veth peer name ic-r netns ikecap-r
ip -n ikecap-i addr add 192.0.2.2/24 dev ic-i; ip -n ikecap-i link set ic-i up
ip -n ikecap-r addr add 192.0.2.1/24 dev ic-r; ip -n ikecap-r link set ic-r up
ip -n ikecap-r addr add 198.18.1.1/24 dev lo
start() { role=$1; R=$D/ipsec/$role; mkdir -p $R/run; rm -f $R/run/charon.pid $R/run/charon.vici
  ip netns exec ikecap-$role unshare -m --propagation private sh -c \
    "mount --bind $R/run /run && STRONGSWAN_CONF=$R/strongswan.conf exec /usr/lib/ipsec/charon" >$R/charon.stdout 2>&1 </dev/null &
  for n in $(seq 500); do [ -S $R/run/charon.vici ] && break; sleep 0.01; done
  SWANCTL_DIR=$R/swanctl swanctl --load-all --uri unix://$R/run/charon.vici; }
ip netns exec ikecap-r tshark -i ic-r -w $D/ike.pcap -f "udp port 500 or udp port 4500" >$D/tshark.out 2>&1 &
echo $! > $D/tshark.pid
sleep 2
start r; start i
for c in v2-psk v2-gcm v2-cbc v2-chacha; do
  SWANCTL_DIR=$D/ipsec/i/swanctl swanctl --initiate --uri unix://$D/ipsec/i/run/charon.vici --ike $c --child $c
  sleep 0.5
  SWANCTL_DIR=$D/ipsec/i/swanctl swanctl --terminate --uri unix://$D/ipsec/i/run/charon.vici --ike $c
  sleep 0.5
done
sleep 1
kill $(cat $D/ipsec/i/run/charon.pid) $(cat $D/ipsec/r/run/charon.pid)
sleep 1
kill $(cat $D/tshark.pid)
sleep 1
ip netns del ikecap-i; ip netns del ikecap-r
