-- The gamification consumer of the domain events (north.events_consume):
-- each event the rules know becomes an award under the event's own key, so
-- an event handed twice is awarded once; the first bank linked and the
-- completed profile are awarded once a user, whatever their keys. A
-- contribution also moves the weekly savings streak. The users touched
-- are then evaluated for achievements.
create or replace function north.gamification_events(p_events north.events[])
returns void
language plpgsql as $$
declare
    e north.events;
begin
    foreach e in array p_events loop
        continue when e.kind not in (select reason from north.points_rules);

        perform north.points_award(e.user_id, e.kind,
            case when e.kind in ('bank_linked', 'profile_completed')
                 then e.kind else e.key end,
            e.subject, e.at);

        if e.kind = 'goal_contribution' then
            perform north.streak_week(e.user_id, e.at);
        end if;
    end loop;

    perform north.achievements_evaluate(u.user_id)
    from (select distinct x.user_id from unnest(p_events) x
          join north.users v on v.id = x.user_id) u;
end $$;
