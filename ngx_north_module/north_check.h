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
 * Deepest nesting of arrays and objects in a JSON text, counted without
 * parsing it (strings and escapes are skipped), stopping once max is passed.
 */
unsigned north_json_depth(const unsigned char *s, size_t len, unsigned max);

#endif /* NORTH_CHECK_H */
