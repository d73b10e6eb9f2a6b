#!/bin/sh
# The compose stack's Redis TLS: a CA of its own and a certificate for the
# host name "redis", in deploy/compose/tls/ (made once; never committed).
set -eu
d=$(dirname "$0")/tls
[ -f "$d/redis.crt" ] && exit 0
mkdir -p "$d"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj "/CN=North compose CA" -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=redis \
    -keyout "$d/redis.key" -out "$d/redis.csr" 2>/dev/null
printf 'subjectAltName=DNS:redis\n' > "$d/ext"
openssl x509 -req -in "$d/redis.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -days 825 -extfile "$d/ext" -out "$d/redis.crt" 2>/dev/null
rm -f "$d/redis.csr" "$d/ext" "$d/ca.key" "$d/ca.srl"
chmod 644 "$d/redis.key"   # read by the redis image's own user
echo "made $d/ca.pem and the certificate of redis"
