/*
 * North JSON layer: reads and checks request bodies, validates fields and
 * writes JSON and problem+json responses.
 */

#include "ngx_north_json.h"
#include "north_check.h"
#include "north_i18n.h"


static ngx_int_t ngx_http_north_json_content_type(ngx_http_request_t *r);
static void ngx_http_north_json_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_north_json_parse(ngx_http_request_t *r);
static void ngx_http_north_json_cleanup(void *data);
static json_t *ngx_http_north_field(ngx_http_north_fields_t *f,
    const char *name, ngx_uint_t required);


ngx_int_t
ngx_http_north_json_read(ngx_http_request_t *r, ngx_http_north_json_pt cb)
{
    ngx_int_t            rc;
    ngx_http_north_ctx_t  *ctx;

    if (ngx_http_north_json_content_type(r) != NGX_OK) {
        return ngx_http_north_problem(r, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                      "unsupported-media-type",
                                      "Unsupported media type",
                                      "the body must be application/json",
                                      NULL);
    }

    ctx = ngx_http_north_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->json_cb = cb;

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_north_json_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/* application/json, with no parameter but an optional UTF-8 charset */

static ngx_int_t
ngx_http_north_json_content_type(ngx_http_request_t *r)
{
    u_char     *p, *last;
    ngx_str_t  *ct;

    static ngx_str_t  json = ngx_string("application/json");
    static ngx_str_t  utf8 = ngx_string("charset=utf-8");

    if (r->headers_in.content_type == NULL) {
        return NGX_DECLINED;
    }

    ct = &r->headers_in.content_type->value;

    if (ct->len < json.len
        || ngx_strncasecmp(ct->data, json.data, json.len) != 0)
    {
        return NGX_DECLINED;
    }

    p = ct->data + json.len;
    last = ct->data + ct->len;

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    if (p == last) {
        return NGX_OK;
    }

    if (*p++ != ';') {
        return NGX_DECLINED;
    }

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    if ((size_t) (last - p) >= utf8.len
        && ngx_strncasecmp(p, utf8.data, utf8.len) == 0)
    {
        p += utf8.len;

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        return p == last ? NGX_OK : NGX_DECLINED;
    }

    if ((size_t) (last - p) == utf8.len + 2
        && ngx_strncasecmp(p, (u_char *) "charset=\"utf-8\"", utf8.len + 2)
           == 0)
    {
        return NGX_OK;
    }

    return NGX_DECLINED;
}


static void
ngx_http_north_json_body(ngx_http_request_t *r)
{
    ngx_http_finalize_request(r, ngx_http_north_json_parse(r));
}


static ngx_int_t
ngx_http_north_json_parse(ngx_http_request_t *r)
{
    u_char                      *text;
    size_t                       len;
    json_t                      *body;
    json_error_t                 err;
    ngx_http_north_ctx_t        *ctx;
    ngx_http_north_main_conf_t  *mcf;
    u_char                       detail[JSON_ERROR_TEXT_LENGTH + 64];

    mcf = ngx_http_get_module_main_conf(r, ngx_http_north_module);
    ctx = ngx_http_north_ctx(r);

    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    text = ngx_http_north_body_text(r, &len);

    if (text == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (len == 0) {
        return ngx_http_north_problem(r, NGX_HTTP_BAD_REQUEST, "invalid-json",
                                      "Malformed JSON",
                                      "the request body is empty", NULL);
    }

    if (north_utf8_length(text, len) < 0) {
        return ngx_http_north_problem(r, NGX_HTTP_BAD_REQUEST, "invalid-utf8",
                                      "Invalid UTF-8",
                                      "the request body is not valid UTF-8",
                                      NULL);
    }

    if (north_json_depth(text, len, mcf->json_max_depth)
        > mcf->json_max_depth)
    {
        ngx_sprintf(detail, ngx_http_north_french(r)
                            ? "les objets et tableaux s'imbriquent sur plus "
                              "de %ui niveaux%Z"
                            : "objects and arrays nest deeper than %ui%Z",
                    mcf->json_max_depth);
        return ngx_http_north_problem(r, NGX_HTTP_BAD_REQUEST, "invalid-json",
                                      "Malformed JSON", (char *) detail, NULL);
    }

    body = json_loadb((const char *) text, len, JSON_REJECT_DUPLICATES, &err);

    if (body == NULL) {
        ngx_sprintf(detail, ngx_http_north_french(r)
                            ? "ligne %d, colonne %d : %s%Z"
                            : "line %d, column %d: %s%Z",
                    err.line, err.column, err.text);
        return ngx_http_north_problem(r, NGX_HTTP_BAD_REQUEST, "invalid-json",
                                      "Malformed JSON", (char *) detail, NULL);
    }

    if (ngx_http_north_json_keep(r->pool, body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!json_is_object(body)) {
        return ngx_http_north_problem(r, NGX_HTTP_BAD_REQUEST, "invalid-json",
                                      "Malformed JSON",
                                      "the body must be a JSON object", NULL);
    }

    return ctx->json_cb(r, body);
}


u_char *
ngx_http_north_body_text(ngx_http_request_t *r, size_t *len)
{
    off_t         size;
    u_char       *text, *p;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    *len = 0;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return (u_char *) "";
    }

    cl = r->request_body->bufs;

    if (cl->next == NULL && !cl->buf->in_file) {
        /* an empty body may come as a buffer with no memory at all */
        *len = cl->buf->last - cl->buf->pos;
        return *len ? cl->buf->pos : (u_char *) "";
    }

    size = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        size += ngx_buf_size(cl->buf);
    }

    text = ngx_pnalloc(r->pool, size + 1);
    if (text == NULL) {
        return NULL;
    }

    p = text;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            n = ngx_read_file(b->file, p, b->file_last - b->file_pos,
                              b->file_pos);
            if (n != b->file_last - b->file_pos) {
                return NULL;
            }

            p += n;
            continue;
        }

        p = ngx_cpymem(p, b->pos, b->last - b->pos);
    }

    *len = p - text;

    return text;
}


static void
ngx_http_north_json_cleanup(void *data)
{
    json_decref(data);
}


char *
ngx_http_north_json_text(ngx_pool_t *pool, json_t *json)
{
    char                *text;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    /* a cleanup without a handler is skipped when the pool goes */
    text = json_dumps(json, JSON_COMPACT);
    if (text == NULL) {
        return NULL;
    }

    cln->handler = free;
    cln->data = text;

    return text;
}


ngx_int_t
ngx_http_north_json_keep(ngx_pool_t *pool, json_t *json)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        json_decref(json);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_north_json_cleanup;
    cln->data = json;

    return NGX_OK;
}


ngx_int_t
ngx_http_north_json_send(ngx_http_request_t *r, ngx_uint_t status,
    json_t *body)
{
    size_t   len;
    u_char  *text;

    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = json_dumpb(body, NULL, 0, JSON_COMPACT);

    text = ngx_pnalloc(r->pool, len);
    if (text == NULL) {
        json_decref(body);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    json_dumpb(body, (char *) text, len, JSON_COMPACT);
    json_decref(body);

    return ngx_http_north_json_send_text(r, status, text, len);
}


ngx_int_t
ngx_http_north_send_type(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, u_char *text, size_t len)
{
    ngx_int_t         rc;
    ngx_buf_t        *b;
    ngx_chain_t       out;
    ngx_table_elt_t  *h;

    if (r->header_sent) {
        return NGX_ERROR;
    }

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-store");

    r->headers_out.status = status;
    r->headers_out.content_type = *type;
    r->headers_out.content_type_len = type->len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = len;

    if (len == 0) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = text;
    b->last = text + len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_north_json_send_text(ngx_http_request_t *r, ngx_uint_t status,
    u_char *text, size_t len)
{
    static ngx_str_t  type = ngx_string("application/json");

    return ngx_http_north_send_type(r, status, &type, text, len);
}


ngx_int_t
ngx_http_north_problem(ngx_http_request_t *r, ngx_uint_t status,
    const char *type, const char *title, const char *detail, json_t *errors)
{
    size_t            len;
    u_char           *text, *uri;
    json_t           *problem;
    ngx_str_t        *id;
    ngx_table_elt_t  *h;

    static ngx_str_t  ptype = ngx_string("application/problem+json");

    uri = ngx_pnalloc(r->pool, sizeof(NGX_HTTP_NORTH_PROBLEM_BASE)
                               + ngx_strlen(type));
    if (uri == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(uri, NGX_HTTP_NORTH_PROBLEM_BASE "%s%Z", type);

    if (ngx_http_north_french(r)) {
        title = north_i18n_fr(title);
        detail = north_i18n_fr(detail);

        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Content-Language");
        ngx_str_set(&h->value, "fr-CA");
    }

    id = ngx_http_north_request_id(r);

    problem = json_pack("{s:s, s:s, s:i, s:s%}",
                        "type", (char *) uri,
                        "title", title,
                        "status", (int) status,
                        "instance", id ? (char *) id->data : "",
                        id ? (size_t) id->len : (size_t) 0);
    if (problem == NULL) {
        return NGX_ERROR;
    }

    if (detail) {
        json_object_set_new(problem, "detail", json_string(detail));
    }

    if (errors) {
        json_object_set(problem, "errors", errors);
    }

    /* a 429 says itself how long to wait */
    if (status == NGX_HTTP_SERVICE_UNAVAILABLE) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            json_decref(problem);
            return NGX_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Retry-After");
        ngx_str_set(&h->value, "1");
    }

    len = json_dumpb(problem, NULL, 0, JSON_COMPACT);

    text = ngx_pnalloc(r->pool, len);
    if (text == NULL) {
        json_decref(problem);
        return NGX_ERROR;
    }

    json_dumpb(problem, (char *) text, len, JSON_COMPACT);
    json_decref(problem);

    return ngx_http_north_send_type(r, status, &ptype, text, len);
}


ngx_uint_t
ngx_http_north_french(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

    static ngx_str_t  accept_language = ngx_string("Accept-Language");

    h = ngx_http_north_header_in(r, &accept_language);

    return h ? north_i18n_prefers_fr(h->value.data, h->value.len) : 0;
}


ngx_int_t
ngx_http_north_fields_init(ngx_http_north_fields_t *f, ngx_http_request_t *r,
    json_t *object)
{
    f->object = object;
    f->errors = json_array();
    f->fr = ngx_http_north_french(r);

    if (f->errors == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_north_json_keep(r->pool, f->errors);
}


void
ngx_http_north_fields_error(ngx_http_north_fields_t *f, const char *field,
    const char *message)
{
    json_array_append_new(f->errors, json_pack("{s:s, s:s}", "field", field,
                                               "message", f->fr
                                               ? north_i18n_fr(message)
                                               : message));
}


static json_t *
ngx_http_north_field(ngx_http_north_fields_t *f, const char *name,
    ngx_uint_t required)
{
    json_t  *v;

    v = json_object_get(f->object, name);

    if (v == NULL || json_is_null(v)) {
        if (required) {
            ngx_http_north_fields_error(f, name, "is required");
        }

        return NULL;
    }

    return v;
}


ngx_int_t
ngx_http_north_field_string(ngx_http_north_fields_t *f, const char *name,
    ngx_uint_t required, long min_chars, long max_chars, ngx_str_t *value)
{
    long     n;
    json_t  *v;
    u_char   msg[80];

    if (value) {
        ngx_str_null(value);
    }

    v = ngx_http_north_field(f, name, required);

    if (v == NULL) {
        return required ? NGX_ERROR : NGX_DECLINED;
    }

    if (!json_is_string(v)) {
        ngx_http_north_fields_error(f, name, "must be a string");
        return NGX_ERROR;
    }

    n = north_utf8_length((u_char *) json_string_value(v),
                          json_string_length(v));

    if (n < min_chars || n > max_chars) {
        ngx_sprintf(msg, f->fr ? "doit compter de %l à %l caractères%Z"
                               : "must be %l to %l characters long%Z",
                    min_chars, max_chars);
        ngx_http_north_fields_error(f, name, (char *) msg);
        return NGX_ERROR;
    }

    if (value) {
        value->len = json_string_length(v);
        value->data = (u_char *) json_string_value(v);
    }

    return NGX_OK;
}


/* A string member that check accepts, else message as its error. */

static const char *
ngx_http_north_field_checked(ngx_http_north_fields_t *f, const char *name,
    ngx_uint_t required, int (*check)(const unsigned char *, size_t),
    const char *message)
{
    json_t  *v;

    v = ngx_http_north_field(f, name, required);

    if (v == NULL) {
        return NULL;
    }

    if (!json_is_string(v)
        || !check((u_char *) json_string_value(v), json_string_length(v)))
    {
        ngx_http_north_fields_error(f, name, message);
        return NULL;
    }

    return json_string_value(v);
}


const char *
ngx_http_north_field_email(ngx_http_north_fields_t *f, const char *name,
    ngx_uint_t required)
{
    return ngx_http_north_field_checked(f, name, required, north_check_email,
                                        "must be an e-mail address");
}


const char *
ngx_http_north_field_uuid(ngx_http_north_fields_t *f, const char *name,
    ngx_uint_t required)
{
    return ngx_http_north_field_checked(f, name, required, north_check_uuid,
                                        "must be a UUID");
}


const char *
ngx_http_north_field_enum(ngx_http_north_fields_t *f, const char *name,
    ngx_uint_t required, const char *const *allowed)
{
    size_t       len;
    json_t      *v;
    u_char      *p, *last;
    const char  *const *a;
    u_char       msg[256];

    v = ngx_http_north_field(f, name, required);

    if (v == NULL) {
        return NULL;
    }

    if (json_is_string(v)) {
        for (a = allowed; *a; a++) {
            if (ngx_strcmp(*a, json_string_value(v)) == 0) {
                return *a;
            }
        }
    }

    p = f->fr ? ngx_cpymem(msg, "doit être l'une des valeurs : ",
                           sizeof("doit être l'une des valeurs : ") - 1)
              : ngx_cpymem(msg, "must be one of: ",
                           sizeof("must be one of: ") - 1);
    last = msg + sizeof(msg) - 1;

    for (a = allowed; *a; a++) {
        len = ngx_strlen(*a);

        if (p + len + 2 >= last) {
            break;
        }

        if (a != allowed) {
            *p++ = ',';
            *p++ = ' ';
        }

        p = ngx_cpymem(p, *a, len);
    }

    *p = '\0';

    ngx_http_north_fields_error(f, name, (char *) msg);

    return NULL;
}


ngx_int_t
ngx_http_north_field_integer(ngx_http_north_fields_t *f, const char *name,
    ngx_uint_t required, json_int_t min, json_int_t max, json_int_t *value)
{
    json_t  *v;
    u_char   msg[96];

    v = ngx_http_north_field(f, name, required);

    if (v == NULL) {
        return required ? NGX_ERROR : NGX_DECLINED;
    }

    if (!json_is_integer(v)) {
        ngx_http_north_fields_error(f, name, "must be an integer");
        return NGX_ERROR;
    }

    *value = json_integer_value(v);

    if (*value < min || *value > max) {
        ngx_sprintf(msg, f->fr ? "doit être entre %L et %L%Z"
                               : "must be between %L and %L%Z",
                    (int64_t) min, (int64_t) max);
        ngx_http_north_fields_error(f, name, (char *) msg);
        return NGX_ERROR;
    }

    return NGX_OK;
}


void
ngx_http_north_fields_only(ngx_http_north_fields_t *f,
    const char *const *allowed)
{
    void        *iter;
    const char  *key, *const *a;

    for (iter = json_object_iter(f->object);
         iter;
         iter = json_object_iter_next(f->object, iter))
    {
        key = json_object_iter_key(iter);

        for (a = allowed; *a; a++) {
            if (ngx_strcmp(*a, key) == 0) {
                break;
            }
        }

        if (*a == NULL) {
            ngx_http_north_fields_error(f, key, "is not a known field");
        }
    }
}


ngx_int_t
ngx_http_north_consent_problem(ngx_http_request_t *r, const char *purpose,
    const char *detail)
{
    char        message[96];
    json_t     *errors;
    ngx_int_t   rc;

    ngx_snprintf((u_char *) message, sizeof(message),
                 ngx_http_north_french(r) ? "le consentement %s est requis%Z"
                                          : "the %s consent is required%Z",
                 purpose);

    errors = json_pack("[{s:s, s:s}]", "field", purpose, "message", message);

    rc = ngx_http_north_problem(r, NGX_HTTP_FORBIDDEN, "consent-missing",
                                "Consent required", detail, errors);
    json_decref(errors);

    return rc;
}


ngx_int_t
ngx_http_north_fields_problem(ngx_http_request_t *r,
    ngx_http_north_fields_t *f)
{
    return ngx_http_north_problem(r, NGX_HTTP_BAD_REQUEST,
                                  "validation-failed", "Invalid request",
                                  "some fields are missing or invalid",
                                  f->errors);
}
