/*
 * A goal's progress, in integer cents and whole days: percent, remaining,
 * the monthly amount that reaches the target date, the completion date the
 * last 90 days' pace projects, the status and the milestones reached.
 * Pure: no nginx header.
 */

#ifndef NORTH_GOAL_H
#define NORTH_GOAL_H

#include <stdint.h>
#include <jansson.h>


typedef enum {
    NORTH_GOAL_ON_TRACK = 0,
    NORTH_GOAL_BEHIND,
    NORTH_GOAL_ACHIEVED
} north_goal_status_e;

typedef struct {
    int64_t              saved_cents;     /* toward the goal, may be < 0 */
    int64_t              target_cents;    /* > 0 */
    int64_t              today;           /* days */
    int64_t              target_date;     /* days; -1 when none */
    int64_t              pace_cents;      /* saved over the pace window */
    int64_t              pace_days;       /* the window: 90, or fewer for a
                                             younger goal; >= 1 */
} north_goal_in_t;

typedef struct {
    unsigned             percent;         /* 0..100, floored */
    int64_t              remaining_cents; /* >= 0 */
    int64_t              monthly_cents;   /* to reach the target date; -1
                                             when there is none */
    int64_t              projected_date;  /* days; -1 when the pace never
                                             gets there */
    north_goal_status_e  status;
    unsigned             milestones;      /* bit i: NORTH_GOAL_MILESTONES[i]
                                             reached */
} north_goal_out_t;

#define NORTH_GOAL_MILESTONE_COUNT  4
extern const unsigned  north_goal_milestones[NORTH_GOAL_MILESTONE_COUNT];

/* Fills out from in; -1 when in is not a goal (target <= 0, no window). */
int north_goal_progress(const north_goal_in_t *in, north_goal_out_t *out);

const char *north_goal_status_name(north_goal_status_e status);

/*
 * A row of north.goal_rows_json ([goal, saved, target, today,
 * target_date, pace, pace_days]) into in, its progress into out; -1 when
 * the row is not one.
 */
int north_goal_read(json_t *row, north_goal_in_t *in, north_goal_out_t *out);


#endif /* NORTH_GOAL_H */
