-- Awards p_reason's points for one real-world event (p_key), once: the
-- same key again, or an award past the reason's daily cap (counted on the
-- user's date at p_at), adds nothing. The total and the level move in the
-- same transaction; a level reached is a domain event, once. Returns the
-- points added.
create or replace function north.points_award(p_user uuid, p_reason text,
    p_key text, p_ref text, p_at timestamptz)
returns integer
language plpgsql as $$
declare
    r       north.points_rules;
    v_day   date := (p_at at time zone north.user_zone(p_user))::date;
    v_total bigint;
    v_from  integer;
    v_level integer;
begin
    select * into r from north.points_rules where reason = p_reason;

    if not found or v_day is null then
        return 0;
    end if;

    -- one award at a time for a user: the cap and the total stay exact
    insert into north.points_totals (user_id) values (p_user)
    on conflict (user_id) do nothing;

    select level into v_from from north.points_totals
    where user_id = p_user for update;

    if (select count(*) from north.points_ledger
        where user_id = p_user and reason = p_reason and local_day = v_day)
       >= r.daily_cap
    then
        return 0;
    end if;

    insert into north.points_ledger (user_id, points, reason, ref, event_key,
                                     local_day, at)
    values (p_user, r.points, p_reason, p_ref, p_key, v_day, p_at)
    on conflict (user_id, event_key) do nothing;

    if not found then
        return 0;
    end if;

    update north.points_totals
    set points = points + r.points, updated_at = now()
    where user_id = p_user
    returning points into v_total;

    select max(level) into v_level from north.levels
    where min_points <= v_total;

    if v_level > v_from then
        update north.points_totals set level = v_level
        where user_id = p_user;

        perform north.event_put(p_user, 'level_up', l.level::text,
                                'level_up:' || l.level)
        from north.levels l
        where l.level > v_from and l.level <= v_level;
    end if;

    return r.points;
end $$;
