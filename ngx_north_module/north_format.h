/*
 * Amounts and dates as North writes them in English and in French (the
 * same forms as north.money_text and north.day_text in SQL): pure C,
 * unit-tested in t/unit/test_tax.c.
 */

#ifndef NORTH_FORMAT_H
#define NORTH_FORMAT_H

#include <stddef.h>
#include <stdint.h>


/* "March 2, 2026" or "2 mars 2026" ("1er mars 2026"), into buf */
size_t north_date_text(int64_t day, int fr, char *buf, size_t size);

/* "2026-03-02" (ISO 8601), into buf (11 bytes at least); buf */
char *north_date_iso(int64_t day, char *buf);

/* "$1,234.56" or "1 234,56 $" (no-break spaces), into buf (40 bytes) */
size_t north_money_text(int64_t cents, int fr, char *buf, size_t size);


#endif /* NORTH_FORMAT_H */
