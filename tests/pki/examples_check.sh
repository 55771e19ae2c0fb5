#!/usr/bin/env bash
# Every configuration under examples/ passes `rampartd --check-config`, the whole check the
# daemon does at start (schema, aaa, policy model with its certificate, key and CRL files,
# ike section, pools). The examples name their files under /etc/rampart/pki/; this test makes
# those files with openssl (a root CA with a CRL, a sub-CA, the server's certificate) in a
# temporary directory and points the examples there. New examples are picked up by the glob;
# each must be listed in examples/README.md with the reference section it reproduces. A
# broken copy of one example must be refused with its FILE:LINE, so the check can fail.
set -u
RAMPARTD=${RAMPART_BUILD_DIR:?}/controlplane/rampartd
SRC=${RAMPART_SOURCE_DIR:?}
[ -x "$RAMPARTD" ] || { echo "SKIP: $RAMPARTD not built"; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: no openssl command"; exit 77; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ossl() { openssl "$@" >>"$W/openssl.log" 2>&1 || { tail -n 5 "$W/openssl.log"; echo "FAIL: openssl $1"; exit 1; }; }

# --- the files the examples name ------------------------------------------------------------
P=$W/pki
mkdir -p "$P"
ca() { # NAME SUBJECT [ISSUER]: a CA certificate, self-signed or signed by ISSUER
	if [ $# -eq 2 ]; then
		ossl req -x509 -newkey rsa:2048 -nodes -keyout "$P/$1.key" -out "$P/$1.pem" -days 30 \
			-subj "$2" -addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign"
	else
		ossl req -newkey rsa:2048 -nodes -keyout "$P/$1.key" -out "$P/$1.csr" -subj "$2"
		printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$P/$1.ext"
		ossl x509 -req -in "$P/$1.csr" -CA "$P/$3.pem" -CAkey "$P/$3.key" -set_serial 10 \
			-days 30 -out "$P/$1.pem" -extfile "$P/$1.ext"
	fi
}
leaf() { # NAME SUBJECT CA SERIAL
	ossl req -newkey rsa:2048 -nodes -keyout "$P/$1.key" -out "$P/$1.csr" -subj "$2"
	printf 'subjectAltName=DNS:vpn.example.test\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >"$P/$1.ext"
	ossl x509 -req -in "$P/$1.csr" -CA "$P/$3.pem" -CAkey "$P/$3.key" -set_serial "$4" \
		-days 30 -out "$P/$1.pem" -extfile "$P/$1.ext"
}
ca ca "/O=Rampart Examples/CN=trustpoint1 CA"
leaf server "/O=Rampart Examples/CN=vpn.example.test" ca 2
# shellcheck source=SCRIPTDIR/ca_db.sh
. "$SRC/tests/pki/ca_db.sh"
ca_db "$P"
ossl ca -config "$P/ca.cnf" -batch -gencrl -out "$P/ca.crl"
ca 2315-ca "/O=Rampart Examples/CN=2315 CA"
leaf 2315-vpn "/O=Rampart Examples/CN=vpn.example.test" 2315-ca 3
ca labca-root "/O=CISCO/CN=LaBcA root"
ca labca-sub "/C=IN/O=CISCO/CN=blue-lab CA" labca-root
chmod 600 "$P"/*.key

# --- each example, pointed at those files ---------------------------------------------------
n=0
for f in "$SRC"/examples/*.conf; do
	name=$(basename "$f")
	n=$((n + 1))
	grep -q "^| *\`$name\`" "$SRC/examples/README.md" || fail "$name is not listed in examples/README.md"
	sed "s|/etc/rampart/pki/|$P/|g" "$f" >"$W/$name"
	if "$RAMPARTD" --check-config -c "$W/$name" >"$W/out" 2>&1; then
		echo "ok: $name: $(grep -o 'is valid' "$W/out")"
	else
		fail "$name is refused:"; sed 's/^/    /' "$W/out"
	fi
done
[ "$n" -ge 12 ] || fail "only $n examples found under $SRC/examples"

# --- the check can fail: a profile naming a certificate map that does not exist -------------
sed 's/certificate = \[ "cert_map" \]/certificate = [ "no_such_map" ]/' "$W/ref000-certmap.conf" >"$W/broken.conf"
grep -q no_such_map "$W/broken.conf" || fail "could not make the broken copy of ref000-certmap.conf"
if "$RAMPARTD" --check-config -c "$W/broken.conf" >"$W/out" 2>&1; then
	fail "a profile naming an unknown certificate map was accepted"
elif ! grep -Eq "broken.conf:[0-9]+: setting 'ikev2.profiles.\[0\].match.certificate.\[0\]': unknown certificate map 'no_such_map'" "$W/out"; then
	fail "no FILE:LINE error for the unknown map:"; sed 's/^/    /' "$W/out"
else
	echo "ok: broken copy refused: $(grep -m1 -o "broken.conf:.*" "$W/out")"
fi

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all $n examples valid"
