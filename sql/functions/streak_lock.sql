-- The user's streak of that kind, made if need be and locked for the rest
-- of the transaction: concurrent check-ins (contributions) take turns.
create or replace function north.streak_lock(p_user uuid, p_kind text)
returns north.streaks
language plpgsql as $$
declare
    s north.streaks;
begin
    insert into north.streaks (user_id, kind) values (p_user, p_kind)
    on conflict (user_id, kind) do nothing;

    select * into s from north.streaks
    where user_id = p_user and kind = p_kind for update;

    return s;
end $$;
