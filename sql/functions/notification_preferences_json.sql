-- GET /v1/notifications/preferences: every category with its state, the
-- quiet hours and the thresholds, the defaults where the user set nothing.
create or replace function north.notification_preferences_json(p_user uuid)
returns json
language plpgsql stable as $$
declare
    p north.notification_preferences := north.notification_preferences_of(p_user);
begin

    return json_build_object(
        'categories', (select json_object_agg(c,
                           c = 'security'
                           or coalesce((p.categories->>c)::boolean, true)
                           order by c)
                       from unnest(array['goals', 'transactions', 'balances',
                                         'streaks', 'summary', 'security']) c),
        'quiet_hours', json_build_object(
            'start', to_char(p.quiet_start, 'HH24:MI'),
            'end', to_char(p.quiet_end, 'HH24:MI')),
        'large_transaction_cents', p.large_tx_cents,
        'low_balance_cents', p.low_balance_cents,
        'consent', north.consent_granted(p_user, 'notifications'));
end $$;
