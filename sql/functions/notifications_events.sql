-- The notifications consumer of the domain events (north.events_consume):
-- a goal's milestone, a sign-in from a device the account never used and
-- a password change each queue a notification once (the event's key is
-- its dedup key), with the user's own figures as strings.
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
