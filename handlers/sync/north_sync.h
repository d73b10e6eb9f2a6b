/*
 * The sync engine's texts, pure (no nginx): the hybrid logical clocks the
 * app stamps its edits with, and the feed's cursor.
 */

#ifndef NORTH_SYNC_H
#define NORTH_SYNC_H

#include <stddef.h>
#include <stdint.h>


/*
 * An HLC: "2026-11-30T14:05:09.123Z-0000-0123456789abcdef", a UTC time to
 * the millisecond, a counter in 4 hex digits and the device's node in 16,
 * which order as they compare (Actual Budget's format).
 */
#define NORTH_SYNC_HLC_LEN  46

/*
 * Checks an HLC (a real date and time) and writes it to out (at least
 * NORTH_SYNC_HLC_LEN + 1 bytes) in the one spelling that compares in
 * order: counter in upper case, node in lower case. 0, or -1 when bad.
 */
int north_sync_hlc_normalise(const char *s, size_t len, char *out);


/*
 * Where a client stands: in the feed after the change (xid, seq); or in a
 * full snapshot after (entity, id), the feed going on from (xid, 0) once
 * the snapshot is read.
 */
typedef struct {
    int       full;
    uint64_t  xid;
    int64_t   seq;
    char      entity[33];
    char      id[37];
} north_sync_cursor_t;

/* The longest cursor text, before any encoding. */
#define NORTH_SYNC_CURSOR_LEN  (2 + 20 + 1 + 32 + 1 + 36)

/* The cursor as text ("d.XID.SEQ", "f.XID.ENTITY.ID"); its length. */
size_t north_sync_cursor_format(const north_sync_cursor_t *c, char *out);

/* Text back to a cursor: 0, or -1 when it is none. */
int north_sync_cursor_parse(const char *s, size_t len,
    north_sync_cursor_t *c);


#endif /* NORTH_SYNC_H */
