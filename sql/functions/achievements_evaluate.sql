-- Records the achievements a user has now met, each once, with its time
-- (running it again changes nothing), and returns every achievement's
-- progress as it stands after: one measure serves both.
drop function if exists north.achievements_evaluate(uuid);

create or replace function north.achievements_evaluate(p_user uuid)
returns table (id text, current numeric, target numeric,
               earned_at timestamptz)
language plpgsql as $$
begin
    return query
    with p as (select * from north.achievements_progress(p_user)),
    met as (
        insert into north.user_achievements as u (user_id, achievement)
        select p_user, p.id from p
        where p.earned_at is null and p.current >= p.target
        on conflict (user_id, achievement) do nothing
        returning u.achievement, u.earned_at)
    select p.id, p.current, p.target, coalesce(p.earned_at, m.earned_at)
    from p left join met m on m.achievement = p.id;
end $$;
