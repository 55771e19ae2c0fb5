#!/usr/bin/env bash
# Regenerates the fuzz_http seed corpus from real servers: the raw bytes (head and at most
# 512 bytes of body) that python3's http.server (HTTP/1.0 and HTTP/1.1) and `openssl ocsp`
# send to requests shaped like pki_http_fetch()'s. Runs in a network namespace of its own
# (unshare -n, its loopback only; needs root), so nothing leaves the machine.
# usage: tests/fuzz/capture_http_seeds.sh tests/fuzz/corpus/http
set -euo pipefail
# shellcheck source=SCRIPTDIR/../pki/ca_db.sh
. "$(dirname "$(readlink -f "$0")")/../pki/ca_db.sh"
out=$(readlink -f "${1:?usage: $0 OUTDIR}")
if [ "${RP_CAPTURE_INNER:-}" != 1 ]; then
	exec unshare -n env RP_CAPTURE_INNER=1 bash "$0" "$out"
fi
ip link set lo up
mkdir -p "$out"
work=$(mktemp -d /tmp/rp-http-cap.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

# a CA that signs its own CRL and OCSP responses; serial 0A good, 0B revoked
ossl() { openssl "$@" 2>/dev/null; }
ossl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 \
	-subj "/O=Rampart Test/CN=HTTP capture CA"
ca_db "$work" 7
rev=$(date -u -d '-1 hour' +%y%m%d%H%M%SZ)
printf 'V\t491231235959Z\t\t0A\tunknown\t/CN=good\n' >index.txt
printf 'R\t491231235959Z\t%s,keyCompromise\t0B\tunknown\t/CN=revoked\n' "$rev" >>index.txt
ossl ca -config ca.cnf -gencrl -out ca.crl.pem
mkdir www
ossl crl -in ca.crl.pem -outform DER -out www/ca.crl
cp ca.crl.pem www/ca-pem.crl

/usr/bin/python3 -m http.server 8080 --bind 127.0.0.1 --directory www >http10.log 2>&1 &
pids+=($!)
/usr/bin/python3 -m http.server 8081 --bind 127.0.0.1 --directory www --protocol HTTP/1.1 \
	>http11.log 2>&1 &
pids+=($!)
openssl ocsp -index index.txt -CA ca.pem -rsigner ca.pem -rkey ca.key -port 8888 \
	-nmin 60 >ocsp.log 2>&1 &
pids+=($!)

# send the request file $2 to port $1, save what comes back (cut to head + 512) as $3
exchange() {
	/usr/bin/python3 - "$@" <<'EOF'
import socket, sys, time
port, req, dst = int(sys.argv[1]), open(sys.argv[2], 'rb').read(), sys.argv[3]
for _ in range(50):
    try:
        s = socket.create_connection(('127.0.0.1', port), timeout=5)
        break
    except OSError:
        time.sleep(0.1)
s.sendall(req)
data = b''
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
end = data.find(b'\r\n\r\n')
assert data.startswith(b'HTTP/1.') and end > 0, data[:80]
open(dst, 'wb').write(data[:end + 4 + 512])
EOF
}
get() { # PORT PATH NAME
	printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$2" "$1" >req
	exchange "$1" req "$out/$3"
}
post_ocsp() { # SERIAL NAME [NONCE]
	ossl ocsp -issuer ca.pem -serial "$1" "$([ -n "${3:-}" ] && echo -nonce || echo -no_nonce)" \
		-reqout ocsp.req
	printf 'POST / HTTP/1.0\r\nHost: 127.0.0.1:8888\r\nContent-Type: application/ocsp-request\r\nContent-Length: %s\r\nConnection: close\r\n\r\n' \
		"$(stat -c %s ocsp.req)" >req
	cat ocsp.req >>req
	exchange 8888 req "$out/$2"
}

get 8080 /ca.crl python-http10-crl-der
get 8080 /ca-pem.crl python-http10-crl-pem
get 8080 /missing.crl python-http10-404
get 8080 / python-http10-dirlist
get 8081 /ca.crl python-http11-crl-der
get 8081 /missing.crl python-http11-404
printf 'POST /ca.crl HTTP/1.0\r\nHost: 127.0.0.1:8080\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' >req
exchange 8080 req "$out/python-http10-501-post"
post_ocsp 0x0A openssl-ocsp-good
post_ocsp 0x0B openssl-ocsp-revoked
post_ocsp 0x0C openssl-ocsp-unknown
post_ocsp 0x0A openssl-ocsp-good-nonce 1
# RFC 6960 A.1: the request base64 (then URL-encoded) in the path of a GET
ossl ocsp -issuer ca.pem -serial 0x0B -no_nonce -reqout ocsp.req
get 8888 "/$(base64 -w0 ocsp.req | sed 's|+|%2B|g; s|/|%2F|g; s|=|%3D|g')" openssl-ocsp-get-revoked
ls -l "$out"
