/*
 * North JWT verification and signing. The header's alg is never trusted on
 * its own: the key named by kid fixes the algorithm, so "none" and HS256
 * tokens made with a public key fail before any signature check.
 */

#include "north_jwt.h"
#include "north_check.h"

#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/core_names.h>
#include <openssl/params.h>


static const char  b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


size_t
north_b64url_encode(const unsigned char *in, size_t len, char *out)
{
    size_t    i, o;
    uint32_t  v;

    for (i = 0, o = 0; i + 2 < len; i += 3) {
        v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8 | in[i + 2];
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
        out[o++] = b64url[v & 63];
    }

    if (len - i == 1) {
        v = (uint32_t) in[i] << 16;
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];

    } else if (len - i == 2) {
        v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8;
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
    }

    return o;
}


static int
north_b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}


size_t
north_b64url_decode(const char *in, size_t len, unsigned char *out)
{
    int       d;
    size_t    i, o, bits;
    uint32_t  acc;

    /* a length of 1 mod 4 cannot be base64 */
    if (len % 4 == 1) {
        return (size_t) -1;
    }

    acc = 0;
    bits = 0;

    for (i = 0, o = 0; i < len; i++) {
        d = north_b64url_value(in[i]);
        if (d < 0) {
            return (size_t) -1;
        }

        acc = acc << 6 | (uint32_t) d;
        bits += 6;

        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char) (acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }

    /* the unused low bits of the last character must be zero */
    if (acc != 0) {
        return (size_t) -1;
    }

    return o;
}


static json_t *
north_jwt_json(const char *part, size_t len)
{
    size_t          n;
    json_t         *v;
    unsigned char   buf[NORTH_JWT_MAX_TOKEN];

    n = north_b64url_decode(part, len, buf);
    if (n == (size_t) -1) {
        return NULL;
    }

    v = json_loadb((const char *) buf, n, JSON_REJECT_DUPLICATES, NULL);

    if (v != NULL && !json_is_object(v)) {
        json_decref(v);
        return NULL;
    }

    return v;
}


static int
north_jwt_check_sig(const north_jwt_key_t *key, const char *signed_part,
    size_t signed_len, const unsigned char *sig, size_t sig_len)
{
    int              ok;
    BIGNUM          *r, *s;
    ECDSA_SIG       *es;
    EVP_MD_CTX      *md;
    unsigned char   *der, mac[EVP_MAX_MD_SIZE];
    unsigned int     mac_len;
    int              der_len;

    if (key->alg == NORTH_JWT_HS256) {
        if (HMAC(EVP_sha256(), key->secret, (int) key->secret_len,
                 (const unsigned char *) signed_part, signed_len, mac, &mac_len)
            == NULL)
        {
            return 0;
        }

        return sig_len == mac_len && CRYPTO_memcmp(mac, sig, mac_len) == 0;
    }

    /* ES256: JWS carries r || s, 32 bytes each; OpenSSL wants DER */
    if (sig_len != 64) {
        return 0;
    }

    es = ECDSA_SIG_new();
    r = BN_bin2bn(sig, 32, NULL);
    s = BN_bin2bn(sig + 32, 32, NULL);

    if (es == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s)) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        return 0;
    }

    der = NULL;
    der_len = i2d_ECDSA_SIG(es, &der);
    ECDSA_SIG_free(es);

    if (der_len <= 0) {
        return 0;
    }

    md = EVP_MD_CTX_new();
    ok = md != NULL
         && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key->pkey) == 1
         && EVP_DigestVerify(md, der, der_len,
                             (const unsigned char *) signed_part, signed_len)
            == 1;

    EVP_MD_CTX_free(md);
    OPENSSL_free(der);

    return ok;
}


static int
north_jwt_copy_id(json_t *claims, const char *name, char *out, size_t size,
    int uuid)
{
    json_t  *v;

    v = json_object_get(claims, name);

    if (!json_is_string(v) || json_string_length(v) == 0
        || json_string_length(v) >= size)
    {
        return -1;
    }

    if (uuid && !north_check_uuid((const unsigned char *) json_string_value(v),
                                  json_string_length(v)))
    {
        return -1;
    }

    memcpy(out, json_string_value(v), json_string_length(v) + 1);

    return 0;
}


static int
north_jwt_audience(json_t *aud, const char *want)
{
    size_t   i;
    json_t  *v;

    if (json_is_string(aud)) {
        return strcmp(json_string_value(aud), want) == 0;
    }

    json_array_foreach(aud, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), want) == 0) {
            return 1;
        }
    }

    return 0;
}


/* The parts of a compact JWS: two dots, nothing empty. */

static int
north_jws_split(const char *token, size_t len, const char **dot1,
    const char **dot2)
{
    if (len == 0 || len > NORTH_JWT_MAX_TOKEN) {
        return -1;
    }

    *dot1 = memchr(token, '.', len);
    *dot2 = *dot1 ? memchr(*dot1 + 1, '.', token + len - *dot1 - 1) : NULL;

    if (*dot1 == NULL || *dot2 == NULL || *dot1 == token
        || *dot2 == *dot1 + 1 || *dot2 + 1 == token + len
        || memchr(*dot2 + 1, '.', token + len - *dot2 - 1) != NULL)
    {
        return -1;
    }

    return 0;
}


int
north_jws_kid(const char *token, size_t len, char *kid, size_t size)
{
    json_t      *header, *v;
    const char  *dot1, *dot2;
    int          rc;

    if (north_jws_split(token, len, &dot1, &dot2) != 0) {
        return -1;
    }

    header = north_jwt_json(token, dot1 - token);
    v = header ? json_object_get(header, "kid") : NULL;
    rc = -1;

    if (json_is_string(v) && json_string_length(v) > 0
        && json_string_length(v) < size)
    {
        memcpy(kid, json_string_value(v), json_string_length(v) + 1);
        rc = 0;
    }

    json_decref(header);

    return rc;
}


json_t *
north_jws_open(const char *token, size_t len, const north_jwt_key_t *keys,
    size_t nkeys, const char **why)
{
    size_t                  i, sig_len;
    json_t                 *header, *payload, *v;
    const char             *dot1, *dot2, *alg, *kid, *typ;
    const north_jwt_key_t  *key;
    unsigned char           sig[NORTH_JWT_MAX_TOKEN];

    header = NULL;
    payload = NULL;

    if (north_jws_split(token, len, &dot1, &dot2) != 0) {
        *why = "not a signed JWT (three non-empty parts)";
        return NULL;
    }

    header = north_jwt_json(token, dot1 - token);
    if (header == NULL) {
        *why = "malformed header";
        goto done;
    }

    v = json_object_get(header, "alg");
    alg = json_is_string(v) ? json_string_value(v) : NULL;
    v = json_object_get(header, "kid");
    kid = json_is_string(v) ? json_string_value(v) : NULL;
    v = json_object_get(header, "typ");
    typ = json_is_string(v) ? json_string_value(v) : NULL;

    if (alg == NULL || kid == NULL || (v != NULL && typ == NULL)
        || (typ != NULL && strcmp(typ, "JWT") != 0)
        || json_object_get(header, "crit") != NULL)
    {
        *why = "header lacks alg or kid, or has an unknown typ or crit";
        goto done;
    }

    key = NULL;

    for (i = 0; i < nkeys; i++) {
        if (strcmp(keys[i].kid, kid) == 0) {
            key = &keys[i];
            break;
        }
    }

    if (key == NULL) {
        *why = "unknown kid";
        goto done;
    }

    if (strcmp(alg, key->alg == NORTH_JWT_HS256 ? "HS256" : "ES256") != 0) {
        *why = "alg does not match the key";
        goto done;
    }

    sig_len = north_b64url_decode(dot2 + 1, token + len - dot2 - 1, sig);

    if (sig_len == (size_t) -1
        || !north_jwt_check_sig(key, token, dot2 - token, sig, sig_len))
    {
        *why = "bad signature";
        goto done;
    }

    payload = north_jwt_json(dot1 + 1, dot2 - dot1 - 1);
    if (payload == NULL) {
        *why = "malformed claims";
    }

done:

    json_decref(header);

    return payload;
}


EVP_PKEY *
north_jwk_p256(const char *x, const char *y)
{
    size_t          nx, ny;
    EVP_PKEY       *pkey;
    EVP_PKEY_CTX   *ctx;
    OSSL_PARAM      params[3];
    unsigned char   point[65];

    /* an uncompressed point: 04 || x || y, 32 bytes each */
    if (x == NULL || y == NULL || strlen(x) != 43 || strlen(y) != 43) {
        return NULL;
    }

    point[0] = 0x04;
    nx = north_b64url_decode(x, 43, point + 1);
    ny = north_b64url_decode(y, 43, point + 33);

    if (nx != 32 || ny != 32) {
        return NULL;
    }

    params[0] = OSSL_PARAM_construct_utf8_string("group",
                                                 (char *) "prime256v1", 0);
    params[1] = OSSL_PARAM_construct_octet_string("pub", point,
                                                  sizeof(point));
    params[2] = OSSL_PARAM_construct_end();

    pkey = NULL;
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);

    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
    {
        pkey = NULL;
    }

    EVP_PKEY_CTX_free(ctx);

    return pkey;
}


int
north_jwt_verify(const char *token, size_t len, const north_jwt_key_t *keys,
    size_t nkeys, const north_jwt_policy_t *policy, long long now,
    north_jwt_claims_t *claims, const char **why)
{
    int      rc;
    json_t  *payload, *v;

    rc = -1;

    payload = north_jws_open(token, len, keys, nkeys, why);
    if (payload == NULL) {
        return -1;
    }

    v = json_object_get(payload, "exp");
    if (!json_is_integer(v)) {
        *why = "no exp";
        goto done;
    }

    claims->exp = json_integer_value(v);

    if (claims->exp + policy->leeway <= now) {
        *why = "expired";
        goto done;
    }

    v = json_object_get(payload, "nbf");
    if (v != NULL && (!json_is_integer(v)
                      || json_integer_value(v) > now + policy->leeway))
    {
        *why = "not yet valid (nbf)";
        goto done;
    }

    v = json_object_get(payload, "iat");
    if (!json_is_integer(v) || json_integer_value(v) > now + policy->leeway) {
        *why = "no iat, or iat in the future";
        goto done;
    }

    claims->iat = json_integer_value(v);

    /* iat may be any integer: subtracting it could overflow */
    if (policy->max_age
        && claims->iat < now - (policy->max_age + policy->leeway))
    {
        *why = "too old (iat)";
        goto done;
    }

    v = json_object_get(payload, "iss");
    if (policy->issuer
        && (!json_is_string(v) || strcmp(json_string_value(v), policy->issuer)))
    {
        *why = "wrong iss";
        goto done;
    }

    if (policy->audience
        && !north_jwt_audience(json_object_get(payload, "aud"),
                               policy->audience))
    {
        *why = "wrong aud";
        goto done;
    }

    if (north_jwt_copy_id(payload, "sub", claims->sub, sizeof(claims->sub), 1)
        || north_jwt_copy_id(payload, "sid", claims->sid, sizeof(claims->sid),
                             1))
    {
        *why = "sub or sid missing or not a UUID";
        goto done;
    }

    if (north_jwt_copy_id(payload, "jti", claims->jti, sizeof(claims->jti), 0))
    {
        claims->jti[0] = '\0';
    }

    rc = 0;

done:

    json_decref(payload);

    return rc;
}


static size_t
north_jwt_sign_es256(const north_jwt_key_t *key, const char *data, size_t len,
    unsigned char *sig)
{
    size_t            der_len;
    const BIGNUM     *r, *s;
    ECDSA_SIG        *es;
    EVP_MD_CTX       *md;
    unsigned char     der[128];
    const unsigned char  *p;

    der_len = sizeof(der);
    md = EVP_MD_CTX_new();

    if (md == NULL
        || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key->pkey) != 1
        || EVP_DigestSign(md, der, &der_len, (const unsigned char *) data, len)
           != 1)
    {
        EVP_MD_CTX_free(md);
        return 0;
    }

    EVP_MD_CTX_free(md);

    p = der;
    es = d2i_ECDSA_SIG(NULL, &p, (long) der_len);
    if (es == NULL) {
        return 0;
    }

    ECDSA_SIG_get0(es, &r, &s);

    if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32) {
        ECDSA_SIG_free(es);
        return 0;
    }

    ECDSA_SIG_free(es);

    return 64;
}


size_t
north_jwt_sign(const north_jwt_key_t *key, const char *issuer,
    const char *audience, const char *sub, const char *sid, long long now,
    long ttl, char *out, size_t size)
{
    char            *header, *payload;
    size_t           n, hlen, plen, sig_len;
    unsigned int     mac_len;
    unsigned char    rnd[16], sig[64];
    char             jti[33];

    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        return 0;
    }

    for (n = 0; n < sizeof(rnd); n++) {
        snprintf(jti + 2 * n, 3, "%02x", rnd[n]);
    }

    header = NULL;
    payload = NULL;

    {
        json_t  *h, *p;

        h = json_pack("{s:s, s:s, s:s}", "alg",
                      key->alg == NORTH_JWT_HS256 ? "HS256" : "ES256",
                      "typ", "JWT", "kid", key->kid);
        p = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s}",
                      "iss", issuer, "aud", audience, "sub", sub, "sid", sid,
                      "iat", (json_int_t) now, "exp", (json_int_t) (now + ttl),
                      "jti", jti);

        if (h != NULL && p != NULL) {
            header = json_dumps(h, JSON_COMPACT);
            payload = json_dumps(p, JSON_COMPACT);
        }

        json_decref(h);
        json_decref(p);
    }

    n = 0;

    if (header == NULL || payload == NULL) {
        goto done;
    }

    hlen = strlen(header);
    plen = strlen(payload);

    /* header.payload.signature, each base64url: 4/3 of the bytes, and 86 */
    if ((hlen + plen) * 4 / 3 + 8 + 86 > size) {
        goto done;
    }

    n = north_b64url_encode((unsigned char *) header, hlen, out);
    out[n++] = '.';
    n += north_b64url_encode((unsigned char *) payload, plen, out + n);

    if (key->alg == NORTH_JWT_HS256) {
        if (HMAC(EVP_sha256(), key->secret, (int) key->secret_len,
                 (unsigned char *) out, n, sig, &mac_len) == NULL)
        {
            n = 0;
            goto done;
        }

        sig_len = mac_len;

    } else {
        sig_len = north_jwt_sign_es256(key, out, n, sig);

        if (sig_len == 0) {
            n = 0;
            goto done;
        }
    }

    out[n++] = '.';
    n += north_b64url_encode(sig, sig_len, out + n);
    out[n] = '\0';

done:

    free(header);
    free(payload);

    return n;
}


char *
north_jwt_assertion(EVP_PKEY *key, const char *iss, const char *scope,
    const char *aud, long long now, long ttl)
{
    char           *claims, *out;
    size_t          n, clen, sig_len;
    json_t         *c;
    EVP_MD_CTX     *md;
    unsigned char  *sig;

    static const char  header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";

    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
        return NULL;
    }

    c = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", iss, "scope", scope,
                  "aud", aud, "iat", (json_int_t) now,
                  "exp", (json_int_t) (now + ttl));
    claims = c ? json_dumps(c, JSON_COMPACT) : NULL;
    json_decref(c);

    if (claims == NULL) {
        return NULL;
    }

    clen = strlen(claims);
    sig_len = (size_t) EVP_PKEY_get_size(key);

    /* header.claims.signature, each base64url: 4/3 of the bytes, and dots */
    out = malloc((sizeof(header) + clen + sig_len) * 4 / 3 + 8);
    sig = malloc(sig_len);
    md = EVP_MD_CTX_new();

    if (out == NULL || sig == NULL || md == NULL) {
        goto failed;
    }

    n = north_b64url_encode((unsigned char *) header, sizeof(header) - 1, out);
    out[n++] = '.';
    n += north_b64url_encode((unsigned char *) claims, clen, out + n);

    if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1
        || EVP_DigestSign(md, sig, &sig_len, (unsigned char *) out, n) != 1)
    {
        goto failed;
    }

    out[n++] = '.';
    n += north_b64url_encode(sig, sig_len, out + n);
    out[n] = '\0';

    EVP_MD_CTX_free(md);
    free(sig);
    free(claims);

    return out;

failed:

    EVP_MD_CTX_free(md);
    free(sig);
    free(out);
    free(claims);

    return NULL;
}
