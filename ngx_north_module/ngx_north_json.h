/*
 * North JSON layer: request bodies, field validation, JSON responses and
 * application/problem+json (RFC 9457) errors.
 */

#ifndef _NGX_NORTH_JSON_H_INCLUDED_
#define _NGX_NORTH_JSON_H_INCLUDED_


#include "ngx_north.h"
#include <jansson.h>


#define NGX_HTTP_NORTH_PROBLEM_BASE  "https://north.ca/problems/"


/*
 * Reads and parses r's body as a JSON object, then calls cb; bad input is
 * answered with a problem. Returns what an nginx content handler returns.
 */
ngx_int_t ngx_http_north_json_read(ngx_http_request_t *r,
    ngx_http_north_json_pt cb);

/* The whole request body read so far in one buffer; NULL on failure. */
u_char *ngx_http_north_body_text(ngx_http_request_t *r, size_t *len);

/* Sends body (reference stolen) with status; returns the filter's code. */
ngx_int_t ngx_http_north_json_send(ngx_http_request_t *r, ngx_uint_t status,
    json_t *body);

/*
 * json's compact text, freed with pool; NULL on failure. A statement's
 * parameter made this way needs no free() on each of the caller's paths.
 */
char *ngx_http_north_json_text(ngx_pool_t *pool, json_t *json);

/* Hands json (one reference) to pool, which drops it when destroyed. */
ngx_int_t ngx_http_north_json_keep(ngx_pool_t *pool, json_t *json);

/* 1 when r's Accept-Language puts French first (fr-CA). */
ngx_uint_t ngx_http_north_french(ngx_http_request_t *r);

/* Sends text of the given content type; returns the filter's code. */
ngx_int_t ngx_http_north_send_type(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, u_char *text, size_t len);

/* Sends an already serialised JSON text (e.g. rendered by PostgreSQL). */
ngx_int_t ngx_http_north_json_send_text(ngx_http_request_t *r,
    ngx_uint_t status, u_char *text, size_t len);

/*
 * Sends a problem: type is a slug under NGX_HTTP_NORTH_PROBLEM_BASE,
 * detail and errors ([{"field", "message"}], borrowed) may be NULL.
 */
ngx_int_t ngx_http_north_problem(ngx_http_request_t *r, ngx_uint_t status,
    const char *type, const char *title, const char *detail, json_t *errors);


/* Validation of an object's members; errors gather in fields->errors. */
typedef struct {
    json_t                      *object;
    json_t                      *errors;
    ngx_uint_t                   fr;          /* messages in French */
} ngx_http_north_fields_t;

ngx_int_t ngx_http_north_fields_init(ngx_http_north_fields_t *f,
    ngx_http_request_t *r, json_t *object);
void ngx_http_north_fields_error(ngx_http_north_fields_t *f,
    const char *field, const char *message);

/*
 * A string member of min_chars to max_chars characters (code points, as a
 * person counts them). NGX_OK with *value (unless value is NULL) its text,
 * NUL-terminated, and len its size in BYTES: a buffer for it is sized from
 * len, never from max_chars (UTF-8 takes up to 4 bytes a character).
 * NGX_DECLINED when absent (an error if required), NGX_ERROR when invalid
 * (an error); value is then { 0, NULL }.
 */
ngx_int_t ngx_http_north_field_string(ngx_http_north_fields_t *f,
    const char *name, ngx_uint_t required, long min_chars, long max_chars,
    ngx_str_t *value);

const char *ngx_http_north_field_email(ngx_http_north_fields_t *f,
    const char *name, ngx_uint_t required);
const char *ngx_http_north_field_uuid(ngx_http_north_fields_t *f,
    const char *name, ngx_uint_t required);
const char *ngx_http_north_field_enum(ngx_http_north_fields_t *f,
    const char *name, ngx_uint_t required, const char *const *allowed);

/* NGX_OK with *value set, NGX_DECLINED when absent, NGX_ERROR if invalid. */
ngx_int_t ngx_http_north_field_integer(ngx_http_north_fields_t *f,
    const char *name, ngx_uint_t required, json_int_t min, json_int_t max,
    json_int_t *value);

/* Names every member not in allowed (a NULL-terminated list). */
void ngx_http_north_fields_only(ngx_http_north_fields_t *f,
    const char *const *allowed);

#define ngx_http_north_fields_failed(f)  (json_array_size((f)->errors) != 0)

/*
 * The 403 of a service acting under a consent the user has not granted:
 * the purpose named as the field, detail (translated as every detail is)
 * saying how to grant it.
 */
ngx_int_t ngx_http_north_consent_problem(ngx_http_request_t *r,
    const char *purpose, const char *detail);

/* The 400 problem listing every error gathered. */
ngx_int_t ngx_http_north_fields_problem(ngx_http_request_t *r,
    ngx_http_north_fields_t *f);


#endif /* _NGX_NORTH_JSON_H_INCLUDED_ */
