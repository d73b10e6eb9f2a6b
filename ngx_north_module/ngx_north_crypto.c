/*
 * North cryptography for handlers: Argon2id with OWASP's parameters in the
 * north thread pool, and AES-256-GCM sealing of stored secrets.
 */

#include "ngx_north.h"
#include "ngx_north_task.h"
#include "ngx_north_crypto.h"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>


/* OWASP's Argon2id floor: 19 MiB, 2 passes, 1 lane */
#define NGX_HTTP_NORTH_ARGON2_T  2
#define NGX_HTTP_NORTH_ARGON2_M  19456
#define NGX_HTTP_NORTH_ARGON2_P  1


static void ngx_http_north_hash_work(void *data);


#define NGX_HTTP_NORTH_GCM_NONCE  12
#define NGX_HTTP_NORTH_GCM_TAG    16


ngx_int_t
ngx_http_north_hash_post(ngx_http_request_t *r, const char *password,
    const char *check, const char *new_password,
    ngx_int_t (*done)(ngx_http_request_t *r, void *data))
{
    ngx_http_north_hash_t  *h;

    h = ngx_http_north_task_alloc(r, sizeof(ngx_http_north_hash_t));
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (password) {
        h->password_len = ngx_min(ngx_strlen(password),
                                  NGX_HTTP_NORTH_PASSWORD_BYTES);
        ngx_memcpy(h->password, password, h->password_len);
    }

    if (check) {
        ngx_cpystrn((u_char *) h->check, (u_char *) check, sizeof(h->check));
    }

    if (new_password) {
        h->new_password_len = ngx_min(ngx_strlen(new_password),
                                      NGX_HTTP_NORTH_PASSWORD_BYTES);
        ngx_memcpy(h->new_password, new_password, h->new_password_len);
    }

    return ngx_http_north_task_post(r, h, ngx_http_north_hash_work, done);
}


static void
ngx_http_north_hash_work(void *data)
{
    ngx_http_north_hash_t  *h = data;

    u_char  salt[16];

    if (h->check[0]) {
        h->verified = argon2id_verify(h->check, h->password, h->password_len)
                      == ARGON2_OK;
    }

    if (h->new_password_len && (h->check[0] == '\0' || h->verified)) {
        h->hashed = RAND_bytes(salt, sizeof(salt)) == 1
                    && argon2id_hash_encoded(NGX_HTTP_NORTH_ARGON2_T,
                                             NGX_HTTP_NORTH_ARGON2_M,
                                             NGX_HTTP_NORTH_ARGON2_P,
                                             h->new_password,
                                             h->new_password_len,
                                             salt, sizeof(salt), 32,
                                             h->hash, sizeof(h->hash))
                       == ARGON2_OK;
    }

    /* the plain passwords leave memory with the task */
    OPENSSL_cleanse(h->password, sizeof(h->password));
    OPENSSL_cleanse(h->new_password, sizeof(h->new_password));
}


void
ngx_http_north_key_id(ngx_str_t *key, u_char *id)
{
    u_char  md[SHA256_DIGEST_LENGTH];

    SHA256(key->data, key->len, md);
    *ngx_hex_dump(id, md, 8) = '\0';
}


ngx_int_t
ngx_http_north_seal(ngx_http_north_main_conf_t *mcf, ngx_pool_t *pool,
    ngx_str_t *plain, ngx_str_t *aad, ngx_str_t *out, ngx_str_t *key_id)
{
    int              n, ok;
    u_char          *raw, *p;
    ngx_str_t        bin;
    EVP_CIPHER_CTX  *ctx;

    if (mcf->data_key.len != 32) {
        return NGX_ERROR;
    }

    raw = ngx_pnalloc(pool, NGX_HTTP_NORTH_GCM_NONCE + plain->len
                            + NGX_HTTP_NORTH_GCM_TAG);
    key_id->data = ngx_pnalloc(pool, 17);
    ctx = EVP_CIPHER_CTX_new();

    ok = raw != NULL && key_id->data != NULL && ctx != NULL
         && RAND_bytes(raw, NGX_HTTP_NORTH_GCM_NONCE) == 1
         && EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, mcf->data_key.data,
                               raw) == 1
         && EVP_EncryptUpdate(ctx, NULL, &n, aad->data, aad->len) == 1;

    p = raw + NGX_HTTP_NORTH_GCM_NONCE;

    ok = ok && EVP_EncryptUpdate(ctx, p, &n, plain->data, plain->len) == 1;
    p += ok ? n : 0;
    ok = ok && EVP_EncryptFinal_ex(ctx, p, &n) == 1;
    p += ok ? n : 0;
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
                                   NGX_HTTP_NORTH_GCM_TAG, p) == 1;

    EVP_CIPHER_CTX_free(ctx);

    if (!ok) {
        return NGX_ERROR;
    }

    bin.data = raw;
    bin.len = p + NGX_HTTP_NORTH_GCM_TAG - raw;

    out->data = ngx_pnalloc(pool, ngx_base64_encoded_length(bin.len) + 1);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    ngx_encode_base64(out, &bin);
    out->data[out->len] = '\0';

    ngx_memcpy(key_id->data,
               ((ngx_http_north_data_key_t *) mcf->data_keys->elts)[0].id, 17);
    key_id->len = 16;

    return NGX_OK;
}


ngx_int_t
ngx_http_north_open(ngx_http_north_main_conf_t *mcf, ngx_pool_t *pool,
    ngx_str_t *sealed, ngx_str_t *key_id, ngx_str_t *aad, ngx_str_t *plain)
{
    int                         n, ok;
    u_char                     *p;
    ngx_str_t                   bin;
    ngx_uint_t                  i;
    EVP_CIPHER_CTX             *ctx;
    ngx_http_north_data_key_t  *k;

    if (mcf->data_keys == NULL) {
        return NGX_ERROR;
    }

    /* the key of the ring that sealed it */
    k = mcf->data_keys->elts;

    for (i = 0; i < mcf->data_keys->nelts; i++) {
        if (key_id->len == 16 && ngx_strncmp(key_id->data, k[i].id, 16) == 0) {
            break;
        }
    }

    if (i == mcf->data_keys->nelts) {
        return NGX_DECLINED;
    }

    bin.data = ngx_pnalloc(pool, ngx_base64_decoded_length(sealed->len));
    if (bin.data == NULL) {
        return NGX_ERROR;
    }

    if (ngx_decode_base64(&bin, sealed) != NGX_OK
        || bin.len < NGX_HTTP_NORTH_GCM_NONCE + NGX_HTTP_NORTH_GCM_TAG)
    {
        return NGX_DECLINED;
    }

    plain->len = bin.len - NGX_HTTP_NORTH_GCM_NONCE - NGX_HTTP_NORTH_GCM_TAG;
    plain->data = ngx_pnalloc(pool, plain->len + 1);
    ctx = EVP_CIPHER_CTX_new();

    p = bin.data + NGX_HTTP_NORTH_GCM_NONCE;

    ok = plain->data != NULL && ctx != NULL
         && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k[i].key.data,
                               bin.data) == 1
         && EVP_DecryptUpdate(ctx, NULL, &n, aad->data, aad->len) == 1
         && EVP_DecryptUpdate(ctx, plain->data, &n, p, plain->len) == 1
         && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG,
                                NGX_HTTP_NORTH_GCM_TAG, p + plain->len) == 1;

    /* the tag is checked here: a forged or moved secret fails */
    ok = ok && EVP_DecryptFinal_ex(ctx, plain->data + n, &n) == 1;

    EVP_CIPHER_CTX_free(ctx);

    if (!ok) {
        return plain->data ? NGX_DECLINED : NGX_ERROR;
    }

    plain->data[plain->len] = '\0';

    return NGX_OK;
}
