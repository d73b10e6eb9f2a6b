/*
 * What the insights service's files share: the findings of
 * north.insights_facts (insights.c), which the recommendations stand on.
 */

#ifndef NORTH_INSIGHTS_SERVICE_H
#define NORTH_INSIGHTS_SERVICE_H


#include "ngx_north.h"
#include "ngx_north_json.h"
#include "north_insights.h"


#define NORTH_INSIGHTS_FLOWS_MAX     256
#define NORTH_INSIGHTS_TEXT_LEN      512
#define NORTH_INSIGHTS_MONEY_LEN     48


/* one read of the facts and what is found in them */
typedef struct {
    json_t                      *facts;       /* kept by the pool */
    int64_t                      today;
    int64_t                      since;       /* first transaction; -1 */
    ngx_uint_t                   fr;
    json_t                      *found[3];    /* by severity */
    north_insights_flow_t        flows[NORTH_INSIGHTS_FLOWS_MAX];
    size_t                       nflows;
} north_insights_t;


/*
 * Everything found in north.insights_facts's document (kept by the caller),
 * most severe first, each with its "magnitude"; NULL on failure.
 */
json_t *north_insights_findings(ngx_http_request_t *r, json_t *facts,
    north_insights_t *in);

/* cents as in's language writes them, into buf (NORTH_INSIGHTS_MONEY_LEN) */
char *north_insights_money(north_insights_t *in, int64_t cents, char *buf);


#endif /* NORTH_INSIGHTS_SERVICE_H */
