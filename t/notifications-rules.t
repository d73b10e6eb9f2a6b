# The pure parts of notifications, case by case: when a notification made
# during quiet hours may go (north.quiet_release) across DST changes in
# St. John's, Regina, Toronto, Vancouver and Whitehorse; amounts and dates
# as each language writes them; the templates in both languages; the
# message kept within FCM's 4,096 bytes. PostgreSQL functions, as the
# notifications are queued in the transaction of the event: these tables
# test the very functions the consumer calls. Plain Test::More over psql.
use strict;
use utf8;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use Encode ();

# psql of UTF-8 text both ways
sub qt { Encode::decode_utf8(scalar psql(map { Encode::encode_utf8($_) } @_)) }

# --- north.quiet_release(instant, zone, start, end) ----------------------------------

my @quiet = (
    # instant (UTC)          zone                 start    end      may go at (UTC)        why
    ['2026-02-10 01:00', 'America/St_Johns',  '21:00', '08:00', '2026-02-10 11:30',
     "St. John's, 21:30 NST: held to 08:00 NST, at the half hour"],
    ['2026-03-08 01:00', 'America/St_Johns',  '21:00', '08:00', '2026-03-08 10:30',
     "St. John's, 21:30 NST the evening before DST: 08:00 NDT"],
    ['2026-03-08 04:00', 'America/St_Johns',  '21:00', '08:00', '2026-03-08 10:30',
     "St. John's, the night DST starts: 08:00 NDT, a 23-hour night"],
    ['2026-03-08 12:00', 'America/St_Johns',  '21:00', '08:00', '2026-03-08 12:00',
     "St. John's, 09:30 NDT: goes at once"],
    ['2026-11-01 03:00', 'America/Toronto',   '21:00', '08:00', '2026-11-01 13:00',
     'Toronto, 23:00 EDT the night DST ends: 08:00 EST, a 25-hour night'],
    ['2026-03-08 06:00', 'America/Toronto',   '21:00', '08:00', '2026-03-08 12:00',
     'Toronto, 01:00 EST the night DST starts: 08:00 EDT'],
    ['2026-07-01 03:30', 'America/Regina',    '21:00', '08:00', '2026-07-01 14:00',
     'Regina in July, 21:30 CST: 08:00 CST, no DST'],
    ['2026-01-15 03:30', 'America/Regina',    '21:00', '08:00', '2026-01-15 14:00',
     '... and the same in January'],
    ['2026-03-08 09:30', 'America/Vancouver', '21:00', '08:00', '2026-03-08 15:00',
     'Vancouver, 01:30 PST the night DST starts: 08:00 PDT'],
    ['2026-07-01 05:00', 'America/Whitehorse', '21:00', '08:00', '2026-07-01 15:00',
     'Whitehorse, 22:00 MST: 08:00 MST, no DST since 2020'],
    ['2026-01-15 05:00', 'America/Whitehorse', '21:00', '08:00', '2026-01-15 15:00',
     '... and in January'],
    ['2026-03-08 06:30', 'America/Toronto',   '01:00', '02:30', '2026-03-08 07:30',
     'Toronto, quiet 01:00-02:30, at 01:30 EST: its end is in the hour DST skips, '
     . 'read as standard time (03:30 EDT)'],
    ['2026-03-08 07:45', 'America/Toronto',   '01:00', '02:30', '2026-03-08 07:45',
     '... and at 03:45 EDT the window is over: at once'],
    ['2026-06-10 15:00', 'America/Toronto',   '08:00', '08:00', '2026-06-10 15:00',
     'no quiet hours (start = end): at once'],
    ['2026-06-10 17:30', 'America/Toronto',   '13:00', '15:00', '2026-06-10 19:00',
     'a window within a day, 13:30 EDT: held to 15:00'],
);

for my $c (@quiet) {
    my ($at, $zone, $start, $end, $want, $why) = @$c;
    is(psql("select to_char(north.quiet_release(:'a0'::timestamptz, :'a1', :'a2', :'a3')
                            at time zone 'UTC', 'YYYY-MM-DD HH24:MI')",
            "$at+00", $zone, $start, $end), $want, $why);
}

# --- amounts and dates ------------------------------------------------------------------

my @money = (
    [123456, 'f', '$1,234.56'], [123456, 't', "1\x{a0}234,56\x{a0}\$"],
    [-5, 'f', '-$0.05'], [-5, 't', "-0,05\x{a0}\$"],
    [100000000, 'f', '$1,000,000.00'], [99, 't', "0,99\x{a0}\$"],
);
for my $c (@money) {
    my ($cents, $fr, $want) = @$c;
    is(qt("select north.money_text(:'a0', :'a1')", $cents, $fr), $want,
       "$cents cents in " . ($fr eq 't' ? 'French' : 'English'));
}
is(qt("select north.day_text('2026-11-29', false)"), 'November 29', 'a date in English');
is(qt("select north.day_text('2026-11-01', true)"), '1er novembre', 'the first of a month in French');
is(qt("select north.day_text('2026-08-15', true)"), '15 août', 'a date in French');

# --- templates ----------------------------------------------------------------------------

my $p = '{"goal": "Voyage", "percent": "50", "saved_cents": "60000", "target_cents": "120000"}';
is(qt("select title || ' | ' || body from north.notification_text('goal_milestone', :'a0', false)", $p),
   'Goal milestone | "Voyage" is 50% funded: $600.00 of $1,200.00.', 'a milestone in English');
is(qt("select title || ' | ' || body from north.notification_text('goal_milestone', :'a0', true)", $p),
   "Étape franchie | « Voyage » est financé à 50 % : 600,00\x{a0}\$ sur 1\x{a0}200,00\x{a0}\$.",
   '... and in French');
is(qt("select body from north.notification_text('new_device', :'a0', true)",
     '{"device": "iPhone de Luc", "day": "2026-11-01"}'),
   "Votre compte a été ouvert sur iPhone de Luc le 1er novembre. Si ce n'était pas vous, "
   . 'changez votre mot de passe.', 'a new sign-in in French');
is(qt("select title || ' | ' || body from north.notification_text('large_transaction', :'a0', false)",
      '{"amount_cents": "150000", "merchant": "IKEA", "day": "2026-11-29"}'),
   'Large transaction | $1,500.00 at IKEA on November 29.', 'a large spending in English');
is(qt("select title || ' | ' || body from north.notification_text('low_balance', :'a0', true)",
      '{"account": "Chèques", "balance_cents": "4000"}'),
   "Solde bas | Il reste 40,00\x{a0}\$ dans Chèques.", 'a low balance in French');
is(qt("select title || ' | ' || body from north.notification_text('streak_at_risk', :'a0', false)",
      '{"days": 12}'),
   'Keep your streak | Your 12-day check-in streak ends at midnight: check in today to keep it.',
   'a streak at risk in English');
is(qt("select title || ' | ' || body from north.notification_text('weekly_summary', :'a0', true)",
      '{"spending_cents": 123456, "previous_cents": 98000, "top_fr": "Épicerie", "top_cents": 45000}'),
   "Votre semaine | Vous avez dépensé 1\x{a0}234,56\x{a0}\$ cette semaine, 980,00\x{a0}\$ la semaine "
   . "dernière. Surtout : Épicerie (450,00\x{a0}\$).", 'a weekly summary in French');
is(qt("select body from north.notification_text('weekly_summary', :'a0', false)",
      '{"spending_cents": 0, "previous_cents": 2500}'),
   'You spent $0.00 this week, $25.00 the week before.', '... with no spending this week');
is(qt("select coalesce(title, 'none') from north.notification_text('nothing', '{}', false)"),
   'none', 'an unknown template has no text');

# --- the clock's notifications: a streak at risk, the weekly summary ------------------------
#
# north.notifications_scheduled(instant) as the sweep calls it with the job
# runner's clock: one user per zone, each with a check-in streak that counted
# on the local day before and transactions in the week; which of its
# notifications an instant queues, and when each may go.

my %user;
for my $zone (qw(America/St_Johns America/Regina America/Toronto America/Vancouver
                 America/Whitehorse)) {
    my $email = sprintf('clock.%s.%d@north.example.ca', lc((split '/', $zone)[1]), $$);
    $user{$zone} = psql_owner("insert into north.users (email, password_hash, time_zone, locale)
                               values (:'a0', 'x', :'a1', 'en-CA') returning id", $email, $zone);
    psql_owner("insert into north.consents (user_id, purpose, granted, policy_version)
                values (:'a0', 'notifications', true, 'test')", $user{$zone});
    psql_owner("with i as (insert into north.plaid_items (user_id, plaid_item_id,
                    institution_id, access_token, token_key_id)
                    values (:'a0', 'item-' || :'a0', 'ins_43', 'sealed', 'k1') returning id)
                insert into north.accounts (user_id, name, type, item_id, plaid_account_id)
                select :'a0', 'Chequing', 'depository', id, 'acct' from i", $user{$zone});
}

# a streak that counted on local day, and a spending that day
sub streak_on {
    my ($uid, $day) = @_;
    psql_owner("insert into north.streaks (user_id, kind, current, longest, last_period)
                values (:'a0', 'checkin', 6, 6, :'a1')
                on conflict (user_id, kind) do update set current = 6, last_period = :'a1'",
               $uid, $day);
}

# the scheduled notifications of uid made at instant: "template@may-go (UTC)"
sub scheduled {
    my ($uid, $at) = @_;
    psql("select north.notifications_scheduled(:'a0'::timestamptz)", "$at+00");
    return psql("select coalesce(string_agg(template || '\@' || to_char(not_before at time zone 'UTC',
                        'MM-DD HH24:MI'), ' ' order by template), '-')
                 from north.notifications where user_id = :'a0' and created_at = :'a1'::timestamptz",
                $uid, "$at+00");
}

my @clock = (
    # instant (UTC)       zone                  streak's last day  queued            why
    ['2026-03-07 23:45', 'America/St_Johns',   '2026-03-06', 'streak_at_risk@03-07 23:45',
     "St. John's, 20:15 NST: a streak at risk"],
    ['2026-03-07 22:15', 'America/St_Johns',   '2026-03-06', '-',
     "... not at 18:45 NST"],
    ['2026-03-08 00:45', 'America/St_Johns',   '2026-03-06', '-',
     "... nor at 21:15 NST, in quiet hours (a reminder held to morning is too late)"],
    ['2026-03-09 23:15', 'America/St_Johns',   '2026-03-08', 'streak_at_risk@03-09 23:15',
     "St. John's, 20:45 NDT the day after DST began"],
    ['2026-07-02 02:30', 'America/Regina',     '2026-06-30', 'streak_at_risk@07-02 02:30',
     'Regina in July, 20:30 CST (no DST)'],
    ['2026-01-16 02:30', 'America/Regina',     '2026-01-14', 'streak_at_risk@01-16 02:30',
     '... and in January, the same UTC hour'],
    ['2026-11-02 01:30', 'America/Toronto',    '2026-10-31',
     'streak_at_risk@11-02 01:30 weekly_summary@11-02 01:30',
     'Toronto, Sunday 20:30 EST, the day DST ended: a streak at risk, and the summary'],
    ['2026-11-02 01:40', 'America/Toronto',    '2026-11-01', '-',
     '... not when today was checked in, nor a second summary'],
    ['2026-07-05 17:30', 'America/Vancouver',  '2026-01-01', 'weekly_summary@07-05 17:30',
     'Vancouver, Sunday 10:30 PDT: the weekly summary'],
    ['2026-07-05 16:30', 'America/Vancouver',  '2026-01-01', '-',
     '... not at 09:30 PDT'],
    ['2026-07-06 17:30', 'America/Vancouver',  '2026-01-01', '-',
     '... nor on Monday'],
    ['2026-11-08 17:05', 'America/Whitehorse', '2026-11-06', 'weekly_summary@11-08 17:05',
     'Whitehorse, Sunday 10:05 MST (no DST since 2020)'],
    ['2026-11-08 23:05', 'America/Whitehorse', '2026-11-06', '-',
     '... once a week: later that Sunday, none'],
    ['2026-03-15 03:30', 'America/Whitehorse', '2026-03-13', 'streak_at_risk@03-15 03:30',
     'Whitehorse, Saturday 20:30 MST'],
);

for my $c (@clock) {
    my ($at, $zone, $last, $want, $why) = @$c;
    my $uid = $user{$zone};
    streak_on($uid, $last);
    # a spending on the instant's local day, for the summary
    psql_owner("insert into north.transactions (user_id, account_id, item_id,
                plaid_transaction_id, amount_cents, date, name, category)
                select :'a0', a.id, a.item_id, 'tx-' || :'a1', -4500,
                       (:'a1'::timestamptz at time zone :'a2')::date, 'Metro', 'groceries'
                from north.accounts a where a.user_id = :'a0'
                  and not exists (select 1 from north.transactions where user_id = :'a0'
                                  and date = (:'a1'::timestamptz at time zone :'a2')::date)",
               $uid, "$at+00", $zone);
    is(scheduled($uid, $at), $want, $why);
}

my $summary = qt("select body from north.notifications where user_id = :'a0'
                  and template = 'weekly_summary'", $user{'America/Vancouver'});
is($summary, 'You spent $45.00 this week, $0.00 the week before. Most on Groceries ($45.00).',
   "the summary's figures: the week's spending, the week before, its top category");

# --- FCM's 4,096 bytes --------------------------------------------------------------------

is(qt("select octet_length(north.notification_fit('Title', repeat('é', 3000), '{}'))
         <= 3800 - 5 - 2"), 't', 'a body of 6,000 bytes is cut to what fits');
is(psql("select north.notification_fit('Title', 'short', '{}')"), 'short',
   'a short body is left whole');
is(qt("select right(north.notification_fit('T', repeat('日', 2000), '{}'), 1)"), '日',
   '... and a cut body ends on a whole character');

done_testing();
