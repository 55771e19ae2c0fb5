#!/bin/bash
# SPDX-License-Identifier: LicenseRef-Rampart-Proprietary
# Helpers shared by tests/aaa/radius_live.sh and tests/aaa/capture.sh: a private FreeRADIUS 3.2
# configuration built from the Debian one, and a network namespace to run it in.
#
#   rad_setup DIR     write DIR/raddb (clients 192.0.2.0/24 and 127.0.0.1, secret testing123)
#   rad_ns_up NS      create NS with lo up and 192.0.2.1/32, 192.0.2.2/32 on lo
#   rad_start NS DIR  start freeradius -X in NS, wait for "Ready to process requests"
#   rad_stop DIR      kill the recorded PID
#   rad_ns_down NS    delete NS
# Test addresses only (RFC 5737 192.0.2.0/24; RFC 2544 198.18.0.0/15 for the pools).

RAD_SECRET=testing123

rad_setup() {
	local R=$1 D=$1/raddb
	rm -rf "$D" "$R/log" "$R/run"
	mkdir -p "$R/log" "$R/run"
	cp -a /etc/freeradius/3.0 "$D" || return 1
	# raddbdir is hard-coded in radiusd.conf: without this every ${confdir} include is from /etc
	sed -i -e "s|^raddbdir = .*|raddbdir = $D|" -e "s|^logdir = .*|logdir = $R/log|" \
	       -e "s|^run_dir = .*|run_dir = $R/run|" \
	       -e 's|^\(\s*\)user = freerad|\1#user = freerad|' \
	       -e 's|^\(\s*\)group = freerad|\1#group = freerad|' "$D/radiusd.conf"
	cat > "$D/clients.conf" <<'EOC'
client testnet {
	ipaddr = 192.0.2.0/24
	secret = testing123
	nas_type = other
}
client localhost {
	ipaddr = 127.0.0.1
	secret = testing123
	nas_type = other
}
EOC
	cat > "$D/mods-config/files/authorize" <<'EOC'
testuser	Cleartext-Password := "testpass"
		Framed-IP-Address = 198.18.200.77,
		Cisco-AVPair += "ipsec:dns-servers=198.18.1.53 198.18.1.54",
		Cisco-AVPair += "ipsec:default-domain=example.test",
		Cisco-AVPair += "ipsec:route-set=prefix 198.18.1.0/24",
		Reply-Message = "Welcome testuser"
EOC
	rm -f "$D/sites-enabled/default" "$D/sites-enabled/inner-tunnel"
	cat > "$D/sites-enabled/rampart" <<'EOC'
server default {
listen {
	type = auth
	ipaddr = *
	port = 1812
}
listen {
	type = acct
	ipaddr = *
	port = 1813
}
authorize {
	filter_username
	preprocess
	mschap
	eap {
		ok = return
	}
	files
	pap
}
authenticate {
	Auth-Type PAP {
		pap
	}
	Auth-Type MS-CHAP {
		mschap
	}
	mschap
	eap
}
preacct {
	preprocess
	acct_unique
}
accounting {
	ok
}
post-auth {
	# Blast-RADIUS (CVE-2024-3596): sign every reply, which rampart requires by default
	update reply {
		&Message-Authenticator := 0x00
	}
	Post-Auth-Type REJECT {
		update reply {
			&Message-Authenticator := 0x00
		}
		attr_filter.access_reject
	}
	Post-Auth-Type Challenge {
		attr_filter.access_challenge.post-auth
	}
}
}
EOC
}

rad_ns_up() {
	ip netns add "$1" || return 1
	ip -n "$1" link set lo up
	ip -n "$1" addr add 192.0.2.1/32 dev lo
	ip -n "$1" addr add 192.0.2.2/32 dev lo
}

rad_ns_down() {
	ip netns del "$1" 2>/dev/null
}

rad_start() {
	local NS=$1 R=$2
	ip netns exec "$NS" freeradius -X -d "$R/raddb" > "$R/radiusd.out" 2>&1 </dev/null &
	echo $! > "$R/radiusd.pid"
	for _ in $(seq 200); do
		grep -q 'Ready to process requests' "$R/radiusd.out" && return 0
		kill -0 "$(cat "$R/radiusd.pid")" 2>/dev/null || break
		sleep 0.05
	done
	echo "freeradius did not start:" >&2
	tail -20 "$R/radiusd.out" >&2
	return 1
}

rad_stop() {
	local R=$1 pid
	[ -f "$R/radiusd.pid" ] || return 0
	pid=$(cat "$R/radiusd.pid")
	kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -f "$R/radiusd.pid"
}
