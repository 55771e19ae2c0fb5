# shellcheck shell=bash
# ca_db DIR [CRL_DAYS]: an `openssl ca` database for the CA DIR/ca.pem + DIR/ca.key, to revoke
# certificates and issue CRLs with `openssl ca -config DIR/ca.cnf -batch -revoke / -gencrl`:
# an empty DIR/index.txt, DIR/crlnumber 01 and DIR/ca.cnf (CRLs valid CRL_DAYS, default 30).
# Sourced by the scenarios (ike_lib.sh), tests/pki/examples_check.sh and
# tests/fuzz/capture_http_seeds.sh.
ca_db() {
	: >"$1/index.txt"
	echo 01 >"$1/crlnumber"
	cat >"$1/ca.cnf" <<EOT
[ ca ]
default_ca = test_ca
[ test_ca ]
database = $1/index.txt
crlnumber = $1/crlnumber
certificate = $1/ca.pem
private_key = $1/ca.key
default_md = sha256
default_crl_days = ${2:-30}
EOT
}
