/*
 * North's prose in French, for clients that ask for it (Accept-Language:
 * fr-CA): pure C, unit-tested in t/unit/test_i18n.c.
 */

#ifndef NORTH_I18N_H
#define NORTH_I18N_H

#include <stddef.h>

/* The French of an English message, or the message itself if none. */
const char *north_i18n_fr(const char *en);

/* 1 when an Accept-Language value puts French first. */
int north_i18n_prefers_fr(const unsigned char *value, size_t len);

#endif /* NORTH_I18N_H */
