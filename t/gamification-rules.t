# The arithmetic of gamification, case by case: the local day a check-in
# counts for (tzdata's zones, DST changes, Newfoundland's half hour,
# Saskatchewan without DST, a move east or west), a streak's next step
# (the next day across a 23- and a 25-hour day, a freeze and its 30 days,
# a break, weekly streaks) and a level from points. These are PostgreSQL
# functions, not C: a check-in is decided in the one transaction that
# locks the streak, so the arithmetic lives where that transaction runs,
# and these tables test the very functions the endpoints use. Plain
# Test::More over psql.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;



# --- north.checkin_day(instant, zone, zone of the last counted day) ------------------

my @days = (
    # instant (UTC)            zone                 last zone            day          why
    ['2026-03-08 03:29:00', 'America/St_Johns', undef,               '2026-03-07',
     "St. John's, 23:59 NST the night before DST"],
    ['2026-03-08 03:31:00', 'America/St_Johns', undef,               '2026-03-08',
     "St. John's, 00:01 NST: the next day, at the half hour"],
    ['2026-03-09 02:29:00', 'America/St_Johns', undef,               '2026-03-08',
     "St. John's, 23:59 NDT: the 23-hour day is one day"],
    ['2026-11-01 04:30:00', 'America/Toronto',  undef,               '2026-11-01',
     'Toronto, 00:30 EDT on the day DST ends'],
    ['2026-11-02 04:30:00', 'America/Toronto',  undef,               '2026-11-01',
     'Toronto, 23:30 EST: the 25-hour day is one day'],
    ['2026-11-02 05:01:00', 'America/Toronto',  undef,               '2026-11-02',
     'Toronto, 00:01 EST: the next day'],
    ['2026-03-09 05:59:00', 'America/Regina',   undef,               '2026-03-08',
     'Regina, 23:59 CST while the east moves to DST'],
    ['2026-07-01 06:01:00', 'America/Regina',   undef,               '2026-07-01',
     'Regina, 00:01 CST in July: no DST'],
    ['2026-03-08 08:01:00', 'America/Vancouver', undef,              '2026-03-08',
     'Vancouver, 00:01 PST on the day DST starts'],
    ['2026-03-09 06:59:00', 'America/Vancouver', undef,              '2026-03-08',
     'Vancouver, 23:59 PDT: the 23-hour day is one day'],
    ['2026-06-10 06:30:00', 'America/Halifax',  'America/Vancouver', '2026-06-09',
     'moved east: 03:30 in Halifax is 23:30 in Vancouver, whose day it still is'],
    ['2026-06-10 06:30:00', 'America/Halifax',  'America/Halifax',   '2026-06-10',
     '... and the next check-in in Halifax counts Halifax\'s day'],
    ['2026-06-10 04:30:00', 'America/Vancouver', 'America/Halifax',  '2026-06-09',
     'moved west: 21:30 in Vancouver, the day before Halifax\'s'],
);

for my $c (@days) {
    my ($at, $zone, $last, $want, $why) = @$c;
    is(psql("select north.checkin_day(:'a0'::timestamptz, :'a1',
                    nullif(:'a2', ''))", "$at+00", $zone, $last // ''), $want, $why);
}

# --- north.streak_step(current, longest, last, freeze_on, period, unit, freeze) ------

my @steps = (
    # current longest last          freeze_on     period        unit freeze  => current longest freeze_on counted   why
    [0, 0, undef,        undef,        '2026-03-08', 1, 't', 1, 1, undef,        't', 'the first check-in: 1'],
    [3, 5, '2026-03-08', undef,        '2026-03-08', 1, 't', 3, 5, undef,        'f', 'the same day again: nothing'],
    [3, 5, '2026-03-08', undef,        '2026-03-07', 1, 't', 3, 5, undef,        'f', 'a day before the last: nothing'],
    [3, 5, '2026-03-08', undef,        '2026-03-09', 1, 't', 4, 5, undef,        't', 'the day after a 23-hour day: on'],
    [5, 5, '2026-11-01', undef,        '2026-11-02', 1, 't', 6, 6, undef,        't', 'the day after a 25-hour day: on, the longest too'],
    [3, 5, '2026-03-08', undef,        '2026-03-10', 1, 't', 4, 5, '2026-03-09', 't', 'a day missed: a freeze covers it'],
    [3, 5, '2026-03-08', '2026-02-07', '2026-03-10', 1, 't', 4, 5, '2026-03-09', 't', '... the last freeze 30 days before it'],
    [3, 5, '2026-03-08', '2026-02-08', '2026-03-10', 1, 't', 1, 5, '2026-02-08', 't', '... but not 29 days: broken, 1'],
    [3, 5, '2026-03-08', undef,        '2026-03-11', 1, 't', 1, 5, undef,        't', 'two days missed: broken, 1'],
    [2, 2, '2026-11-23', undef,        '2026-11-30', 7, 'f', 3, 3, undef,        't', 'weekly: the next Monday, on'],
    [2, 4, '2026-11-23', undef,        '2026-12-07', 7, 'f', 1, 4, undef,        't', 'weekly: a week missed, broken'],
    [2, 4, '2026-11-30', undef,        '2026-11-30', 7, 'f', 2, 4, undef,        'f', 'weekly: the same week again, nothing'],
);

for my $c (@steps) {
    my ($why, @args) = (pop @$c, @$c);
    my @in = @args[0 .. 6];
    my $want = join '|', map { $_ // '' } @args[7 .. 10];
    is(psql("select s.current || '|' || s.longest || '|' || coalesce(s.freeze_on::text, '')
                    || '|' || case when s.counted then 't' else 'f' end
             from north.streak_step(:'a0'::int, :'a1'::int, nullif(:'a2', '')::date,
                                    nullif(:'a3', '')::date, :'a4'::date, :'a5'::int,
                                    :'a6'::boolean) s",
            map { $_ // '' } @in), $want, $why);
}

# --- north.level_json(points) --------------------------------------------------------

my @levels = (
    # points  level next  into  to_next percent
    [0,       1,    100,  0,    100,    0,   'no points: level 1'],
    [99,      1,    100,  99,   1,      99,  '99: 99% of level 1'],
    [100,     2,    300,  0,    200,    0,   '100: level 2, at its start'],
    [699,     3,    700,  399,  1,      99,  '699: 99% of level 3'],
    [25000,   9,    undef, 5000, undef, 100, 'past the last level: 100%, no next'],
);

for my $c (@levels) {
    my ($points, @want) = @$c;
    my $why = pop @want;
    is(psql("select concat_ws('|', l->>'level', coalesce(l->>'next_level_points', ''),
                              l->>'points_into_level', coalesce(l->>'points_to_next', ''),
                              l->>'percent')
             from north.level_json(:'a0'::bigint, false) l", $points),
       join('|', map { $_ // '' } @want), $why);
}

done_testing();
