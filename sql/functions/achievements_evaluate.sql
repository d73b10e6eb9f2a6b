-- Records the achievements a user has now met, each once, with its time:
-- running it again changes nothing.
create or replace function north.achievements_evaluate(p_user uuid)
returns void
language sql as $$
    insert into north.user_achievements (user_id, achievement)
    select p_user, p.id from north.achievements_progress(p_user) p
    where p.earned_at is null and p.current >= p.target
    on conflict (user_id, achievement) do nothing
$$;
