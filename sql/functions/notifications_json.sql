-- GET /v1/notifications: the caller's notifications, newest first, in
-- keyset pages (p_after: the last id of the page before, or NULL). One
-- held by quiet hours is listed once it may go.
create or replace function north.notifications_json(p_user uuid,
    p_after uuid, p_limit integer)
returns json
language sql stable as $$
    with page as (
        select n, row_number() over (order by n.created_at desc, n.id desc) k
        from north.notifications n
        where n.user_id = p_user and n.not_before <= now()
          and (p_after is null
               or (n.created_at, n.id) < (select c.created_at, c.id
                                          from north.notifications c
                                          where c.id = p_after
                                            and c.user_id = p_user))
        order by n.created_at desc, n.id desc limit p_limit + 1)
    select json_build_object(
        'notifications', coalesce(json_agg(json_build_object(
            'id', (p.n).id,
            'category', (p.n).category,
            'title', (p.n).title,
            'body', (p.n).body,
            'created_at', north.rfc3339((p.n).created_at),
            'read', (p.n).read_at is not null)
            order by p.k) filter (where p.k <= p_limit), '[]'),
        'next_cursor', (max(((p.n).id)::text) filter (where p.k = p_limit))
                       || case when count(*) > p_limit then '' end)
    from page p
$$;
