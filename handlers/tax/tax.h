/*
 * What the tax service's files share: north.tax_facts read into C
 * (tax_facts.c), for the endpoints of tax.c.
 */

#ifndef NORTH_TAX_SERVICE_H
#define NORTH_TAX_SERVICE_H


#include "ngx_north.h"
#include "ngx_north_pg.h"
#include "ngx_north_json.h"
#include "north_tax.h"


#define NORTH_TAX_TEXT_LEN     512
#define NORTH_TAX_MONEY_LEN    48


/* what north.tax_facts said, read once */
typedef struct {
    json_t                      *facts;       /* kept by the pool */
    json_t                      *profile;
    int                          year;
    int64_t                      today;
    ngx_uint_t                   fr;
    ngx_uint_t                   known;       /* North has the year's */
    ngx_uint_t                   rules;       /* fed and prov are read */
    north_tax_table_t            fed;
    north_tax_table_t            prov;
    json_t                      *warnings;
    ngx_pool_t                  *pool;
} north_tax_facts_t;


/*
 * Reads north.tax_facts's row into tf. NGX_DECLINED to go on; otherwise
 * what to return: a year North has no figures for is a 422.
 */
ngx_int_t north_tax_facts(ngx_http_request_t *r, PGresult *res,
    north_tax_facts_t *tf);

/*
 * Reads a north.tax_facts document (kept by the caller) into tf:
 * NGX_DECLINED to go on, tf->known telling whether North has the year's
 * figures; otherwise the status to return.
 */
ngx_int_t north_tax_facts_read(ngx_http_request_t *r, json_t *facts,
    north_tax_facts_t *tf);

/*
 * The year's {tfsa, rrsp, fhsa} sections of a summary (their warnings go
 * to tf), or NULL with an alert.
 */
json_t *north_tax_rooms(ngx_http_request_t *r, north_tax_facts_t *tf);

/* the year's TFSA section of a summary (its warnings go to tf) or NULL */
json_t *north_tax_tfsa(north_tax_facts_t *tf);

/* kind's ("tfsa", "fhsa") limits and movements into in: 0, or -1 */
int north_tax_room_of(north_tax_facts_t *tf, const char *kind,
    north_tax_room_in_t *in);

/* kind's movements, *n of them, in the pool; NULL with *n > 0 on failure */
north_tax_move_t *north_tax_moves(north_tax_facts_t *tf, const char *kind,
    size_t *n);

/* an integer member, or -1 when absent or null */
json_int_t north_tax_int(json_t *object, const char *key);

/* how many accounts of kind the user has */
json_int_t north_tax_accounts(north_tax_facts_t *tf, const char *kind);

/* a warning: code, the message (a format) in tf's language, its figures */
void north_tax_warn(north_tax_facts_t *tf, const char *code,
    json_t *figures, const char *en, const char *fr, ...);

/* cents as tf's language writes them, into buf (NORTH_TAX_MONEY_LEN) */
char *north_tax_money_text(north_tax_facts_t *tf, int64_t cents, char *buf);


#endif /* NORTH_TAX_SERVICE_H */
