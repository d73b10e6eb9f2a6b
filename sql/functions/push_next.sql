-- The next deliveries to send, at most p_limit, leased for p_lease. Due
-- is by the job runner's clock (north.clock_now(): now(), but in suites
-- that move it).
-- First the notifications due fan out, one delivery per device the user
-- has a push token on (none: the notification is only in the inbox). Then
-- up to p_limit due deliveries (a silent one has no notification, its
-- category is its kind, "sync") are picked: of those, the ones whose device
-- lost its token are dropped, and those of a user who withdrew the
-- notifications consent are skipped (security notices and the sync
-- engine's silent pushes, which show nothing, need no consent), so
-- that a withdrawal stops the very next send; the rest are leased. When
-- there was none to pick (notices for users with no device: inbox only) or
-- every one picked was dropped or skipped, it goes round again: 20 rounds
-- at most, then it wakes another sender to go on.
-- A full batch wakes another sender (another worker joins in); an empty one
-- wakes one for when the next delivery falls due (a retry, a notification
-- held by quiet hours, a lease that runs out), so none waits for the sweep.
-- Every statement is driven by the batch (at most p_limit rows reached by
-- key): hash and merge joins are off, since either reads every push token
-- or every notification for each batch, and the inbox only grows; and the
-- batch's updates name rows by key alone, since statistics that saw an
-- empty queue made plans that walked the whole queue for each row.
drop function if exists north.push_next(integer);
drop function if exists north.push_next(integer, interval);
create function north.push_next(p_limit integer, p_lease interval)
returns table (id bigint, token text, notification_id uuid, title text,
               body text, category text, template text, attempts integer)
language plpgsql
set enable_hashjoin = off
set enable_mergejoin = off
as $$
#variable_conflict use_column
declare
    v_now     timestamptz := north.clock_now();
    v_send    bigint[];
    v_drop    bigint[];
    v_skip    bigint[];
    v_fanned  integer;
    v_leased  integer;
    v_round   integer := 0;
begin
    loop
        v_round := v_round + 1;

        with due as (
            select n.id, n.user_id
            from north.notifications n
            where n.state = 'queued' and n.not_before <= v_now
            order by n.not_before
            for update skip locked
            limit p_limit
        ), fan as (
            -- due by the queue's own clock, as it is read (not now(): a
            -- clock moved back would hold them)
            insert into north.push_deliveries (notification_id, user_id,
                                               device_id, not_before)
            select d.id, d.user_id, t.device_id, v_now
            from due d join north.push_tokens t on t.user_id = d.user_id
            on conflict (notification_id, device_id) do nothing
        )
        update north.notifications n
        set state = 'sent', sent_at = now()
        from due d
        where n.id = d.id;

        get diagnostics v_fanned = row_count;

        -- the batch, and what becomes of each: dropped (its device lost
        -- its token), skipped (the consent withdrawn), or sent
        select array_agg(q.id) filter (where q.fate = 'send'),
               array_agg(q.id) filter (where q.fate = 'drop'),
               array_agg(q.id) filter (where q.fate = 'skip')
        into v_send, v_drop, v_skip
        from (select b.id,
                     case when not exists (select 1 from north.push_tokens t
                                           where t.user_id = b.user_id
                                             and t.device_id = b.device_id)
                          then 'drop'
                          when n.category <> 'security'
                               and not north.consent_granted(b.user_id,
                                                             'notifications')
                          then 'skip'
                          else 'send' end as fate
              from (select q.id, q.user_id, q.device_id, q.notification_id
                    from north.push_deliveries q
                    where q.state = 'queued' and q.not_before <= v_now
                      and (q.leased_until is null or q.leased_until < now())
                    order by q.not_before, q.id
                    for update skip locked
                    limit p_limit) b
              left join north.notifications n on n.id = b.notification_id) q;

        -- by key alone (no state in the conditions, so that no plan walks
        -- the queue's index instead)
        update north.push_deliveries d
        set state = 'dropped', finished_at = now(),
            last_error = 'the device has no push token'
        where d.id = any (v_drop);

        update north.push_deliveries d
        set state = 'skipped', finished_at = now(),
            last_error = 'the notifications consent is withdrawn'
        where d.id = any (v_skip);

        if v_send is not null then
            return query
            update north.push_deliveries d
            set leased_until = now() + p_lease,
                attempts = d.attempts + 1
            from (select x.id, t.token, n.id as nid, n.title, n.body,
                         coalesce(n.category, x.silent) as category,
                         n.template
                  from north.push_deliveries x
                  join north.push_tokens t on t.user_id = x.user_id
                                          and t.device_id = x.device_id
                  left join north.notifications n on n.id = x.notification_id
                  where x.id = any (v_send)) m
            where d.id = m.id
            returning d.id, m.token, m.nid, m.title, m.body, m.category,
                      m.template, d.attempts;

            get diagnostics v_leased = row_count;
            if v_leased = p_limit then
                perform north.push_wake();
            end if;
            if v_leased > 0 then
                return;
            end if;

        elsif v_drop is null and v_skip is null and v_fanned = 0 then
            perform north.push_wake_later();
            return;
        end if;

        -- a batch of notices with no device, or of deliveries none of which
        -- could go: on, but in one transaction only so far
        if v_round = 20 then
            perform north.push_wake();
            return;
        end if;
    end loop;
end $$;
