-- GET /v1/gamification/ledger: the caller's awards, newest first, in
-- keyset pages (p_after: the last id of the page before, or NULL).
create or replace function north.points_ledger_json(p_user uuid,
    p_after bigint, p_limit integer, p_fr boolean)
returns json
language sql stable as $$
    with page as (
        select l, l.id, row_number() over (order by l.id desc) n
        from north.points_ledger l
        where l.user_id = p_user and (p_after is null or l.id < p_after)
        order by l.id desc limit p_limit + 1)
    select json_build_object(
        'entries', coalesce(json_agg(north.points_entry_json(p.l, p_fr)
                                     order by p.n)
                            filter (where p.n <= p_limit), '[]'),
        'next_cursor', (max(p.id::text) filter (where p.n = p_limit))
                       || case when count(*) > p_limit then '' end)
    from page p
$$;
