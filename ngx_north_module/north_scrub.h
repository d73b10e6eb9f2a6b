/*
 * North's scrubber: what leaves for an error tracker passes through it, so
 * that no e-mail, token, card-like number or amount does. Pure C, no nginx
 * header, so that t/unit/ links it alone.
 */

#ifndef NORTH_SCRUB_H
#define NORTH_SCRUB_H

#include <stddef.h>


/*
 * Copies s into out (at most size - 1 bytes and a NUL; size >= 1) with:
 *   an e-mail address                       -> [email]
 *   a bearer token, a JWT, 20+ characters of one base64url/hex run that
 *   mixes letters and digits                -> [token]
 *   13 to 19 digits, spaces or dashes
 *   between them (a card, an account)       -> [number]
 *   an amount: a number with a currency sign or decimal cents
 *   ($1,234.56, 1 234,56 $, 12.50)          -> [amount]
 * Returns the length written.
 */
size_t north_scrub(const char *s, size_t len, char *out, size_t size);


#endif /* NORTH_SCRUB_H */
