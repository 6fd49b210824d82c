#!/bin/bash
# A throwaway PKI for scanwall-mgmtd tests and demos (docs/mgmt.md):
#
#   ca.crt/key          the test CA (EC P-256), signs everything below
#   server.crt/key      mgmtd's server certificate (localhost, 127.0.0.1)
#   collector.crt/key   a syslog collector's certificate (localhost, 127.0.0.1)
#   operator.crt/key    client certificate, role operator (matched by subject)
#   reader.crt/key      client certificate, role reader (matched by key hash)
#   roles               the roles file mapping the two
#
#   scripts/pki.sh DIR      (DIR is created; existing files are replaced)
#
# Not for production: the keys are unencrypted and the CA lives next to them.
set -euo pipefail
dir=${1:?usage: pki.sh DIR}
mkdir -p "$dir"
cd "$dir"
umask 077

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }

# cert NAME SUBJECT EXTENSIONS: a certificate signed by the CA, 30 days.
cert() {
	key "$1"
	openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
	printf '%s\n' "$3" >"$1.ext"
	openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
		-sha256 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
	rm -f "$1.csr" "$1.ext"
}

key ca
openssl req -x509 -new -key ca.key -subj "/O=scanwall test/CN=scanwall test CA" -days 30 \
	-sha256 -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt 2>/dev/null

server_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1"
client_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"

cert server "/O=scanwall test/CN=localhost" "$server_ext"
cert collector "/O=scanwall test/CN=localhost" "$server_ext"
cert operator "/O=scanwall test/CN=operator" "$client_ext"
cert reader "/O=scanwall test/CN=reader" "$client_ext"

reader_spki=$(openssl x509 -in reader.crt -pubkey -noout | openssl pkey -pubin -outform DER |
	sha256sum | cut -d' ' -f1)
cat >roles <<EOR
# role      match        value (docs/mgmt.md)
operator    subject      O=scanwall test, CN=operator
reader      spki-sha256  $reader_spki
EOR
chmod 644 ./*.crt roles
echo "pki: $(pwd)"
