-- A session revoked (logout, a revoked device, a password change, a reused
-- refresh token) or deleted is announced on channel north_session with its
-- id, in the transaction that ends it: each worker closes that session's
-- sync streams when it commits.
create or replace function north.sessions_ended()
returns trigger
language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        perform pg_notify('north_session', o.id::text) from old_rows o
        where o.revoked_at is null;
    else
        perform pg_notify('north_session', n.id::text)
        from new_rows n join old_rows o on o.id = n.id
        where o.revoked_at is null and n.revoked_at is not null;
    end if;

    return null;
end
$$;

drop trigger if exists sessions_revoked on north.sessions;
create trigger sessions_revoked after update on north.sessions
    referencing old table as old_rows new table as new_rows
    for each statement execute function north.sessions_ended();

drop trigger if exists sessions_deleted on north.sessions;
create trigger sessions_deleted after delete on north.sessions
    referencing old table as old_rows
    for each statement execute function north.sessions_ended();
