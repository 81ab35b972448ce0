#!/bin/sh
# gen_cert.sh DIR: a throwaway CA and a server certificate for the TikTok simulator.
#
# Writes DIR/ca.crt, DIR/ca.key, DIR/server.crt, DIR/server.key and DIR/wrong-ca.crt
# (an unrelated CA, for "the wrong CA fails TLS verification" tests).  Existing files
# are overwritten.  Needs only the openssl command-line tool.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
dir=$1
mkdir -p "$dir"
umask 077
work=$(mktemp -d "${TMPDIR:-/tmp}/tiktok-cert.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

SAN="DNS:localhost,IP:127.0.0.1,DNS:open.tiktokapis.com,DNS:business-api.tiktok.com,DNS:www.tiktok.com,DNS:vm.tiktok.com,DNS:vt.tiktok.com,DNS:m.tiktok.com,DNS:tiktok.com"

make_ca() { # make_ca KEY CRT CN
    openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 \
        -keyout "$1" -out "$2" -subj "/CN=$3" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" >/dev/null 2>&1
}

make_ca "$work/ca.key" "$work/ca.crt" "tiktrack test CA"
make_ca "$work/wrong-ca.key" "$work/wrong-ca.crt" "tiktrack unrelated CA"

openssl req -new -newkey rsa:2048 -nodes -sha256 \
    -keyout "$work/server.key" -out "$work/server.csr" -subj "/CN=localhost" >/dev/null 2>&1

cat >"$work/server.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$SAN
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid,issuer
EOF

openssl x509 -req -in "$work/server.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days 825 -sha256 \
    -extfile "$work/server.ext" -out "$work/server.crt" >/dev/null 2>&1

openssl verify -CAfile "$work/ca.crt" "$work/server.crt" >/dev/null

for f in ca.crt ca.key server.crt server.key wrong-ca.crt; do
    cp "$work/$f" "$dir/$f.tmp"
    mv -f "$dir/$f.tmp" "$dir/$f"
done
chmod 644 "$dir/ca.crt" "$dir/server.crt" "$dir/wrong-ca.crt"
chmod 600 "$dir/ca.key" "$dir/server.key"
echo "certificates written to $dir"
