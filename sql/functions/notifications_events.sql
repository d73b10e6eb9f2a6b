-- The notifications consumer of the domain events (north.events_consume):
-- a goal's milestone, a large spending, a balance under the threshold, a
-- sign-in from a device the account never used and a password change each
-- queue a notification once (the event's key is its dedup key), with the
-- user's own figures as strings.
create or replace function north.notifications_events(p_events north.events[])
returns void
language plpgsql as $$
declare
    e    north.events;
    g    record;
    v_on text;
begin
    foreach e in array p_events loop
        v_on := (e.at at time zone north.user_zone(e.user_id))::date::text;

        case e.kind
        when 'goal_milestone' then
            select x.name, r.saved, r.target into g
            from north.goals x
            cross join lateral north.goal_rows(e.user_id, x.id) r
            where x.id = e.subject::uuid and x.user_id = e.user_id;

            if found then
                perform north.notify(e.user_id, 'goals', 'goal_milestone',
                    jsonb_build_object('goal', g.name,
                                       'percent', split_part(e.key, ':', 3),
                                       'saved_cents', g.saved::text,
                                       'target_cents', g.target::text),
                    e.key, e.at);
            end if;
        when 'large_transaction' then
            perform north.notify(e.user_id, 'transactions', 'large_transaction',
                jsonb_build_object(
                    'amount_cents', (-t.amount_cents)::text,
                    'merchant', coalesce(t.merchant_name, t.name),
                    'day', t.date::text),
                e.key, e.at)
            from north.transactions t
            where t.id = e.subject::uuid and t.user_id = e.user_id
              and t.currency = 'CAD';
        when 'low_balance' then
            perform north.notify(e.user_id, 'balances', 'low_balance',
                jsonb_build_object(
                    'account', a.name,
                    'balance_cents',
                    coalesce(a.available_cents, a.balance_cents)::text),
                e.key, e.at)
            from north.accounts a
            where a.id = e.subject::uuid and a.user_id = e.user_id
              and a.currency = 'CAD';
        when 'new_device' then
            perform north.notify(e.user_id, 'security', 'new_device',
                jsonb_build_object('device', e.subject, 'day', v_on),
                e.key, e.at);
        when 'password_changed' then
            perform north.notify(e.user_id, 'security', 'password_changed',
                jsonb_build_object('day', v_on), e.key, e.at);
        else
            null;
        end case;
    end loop;
end $$;
