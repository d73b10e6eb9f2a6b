/*
 * North input checks: pure functions over plain C types, no nginx header,
 * so that t/unit/ links them alone.
 */

#ifndef NORTH_CHECK_H
#define NORTH_CHECK_H

#include <stddef.h>
#include <stdint.h>


/* Number of code points in valid UTF-8, or -1 when the bytes are not. */
long north_utf8_length(const unsigned char *s, size_t len);

/* 1 when s is an addr-spec we accept for an account: local@domain.tld. */
int north_check_email(const unsigned char *s, size_t len);

/* 1 when s is a canonical textual UUID (8-4-4-4-12 hex digits). */
int north_check_uuid(const unsigned char *s, size_t len);

/* 1 when a client-sent X-Request-Id may be kept: 1-64 of [A-Za-z0-9._:-]. */
int north_check_request_id(const unsigned char *s, size_t len);

/*
 * 1 when a client-sent traceparent may be followed (W3C Trace Context):
 * version-traceid-parentid-flags in lowercase hex, neither id all zeros,
 * version ff refused; a later version may carry more after a '-', 00 not.
 */
int north_check_traceparent(const unsigned char *s, size_t len);

/*
 * Deepest nesting of arrays and objects in a JSON text, counted without
 * parsing it (strings and escapes are skipped), stopping once max is passed.
 */
unsigned north_json_depth(const unsigned char *s, size_t len, unsigned max);

/* Canada's provinces and territories, as their two-letter codes. */
extern const char *const  north_provinces[];

/* The purposes North asks consent for: terms and privacy_policy first. */
extern const char *const  north_consent_purposes[];

/* Index of s in north_consent_purposes, or -1. */
int north_check_purpose(const char *s);

/*
 * 1 when s names a time zone the way tzdata's zone.tab does (an area of
 * the world, "/", a location: America/St_Johns, America/Argentina/Salta)
 * or is "UTC"; whether the database knows it is checked there.
 */
int north_check_time_zone(const unsigned char *s, size_t len);

/* 1 when an Idempotency-Key may be used: 1-255 visible ASCII characters. */
int north_check_idempotency_key(const unsigned char *s, size_t len);

/*
 * The value of a top-level member of a JSON object text, without parsing
 * the rest into a tree: *value points into s (a string's value between its
 * quotes, escapes left as they are; a literal or number as written) and
 * 0 is returned; -1 when the member is not there or s is not an object.
 */
int north_json_member(const unsigned char *s, size_t len, const char *key,
    const unsigned char **value, size_t *vlen);

/* days since 1970-01-01 of a proleptic Gregorian date, and back */
int64_t north_date_days(int y, unsigned m, unsigned d);
void north_date_civil(int64_t days, int *y, unsigned *m, unsigned *d);

/* "YYYY-MM-DD" to days; -1 when it is not a real date in 1900..9999 */
int north_date_parse(const char *s, int64_t *days);


#endif /* NORTH_CHECK_H */
