-- The erasure job's last step, after every service erased its own rows
-- (the profile's part deletes the user row): the erasure is recorded done
-- and the job forgets whose it was. Run again, it changes nothing.
create or replace function north.erasure_finish(p_job bigint, p_user uuid)
returns void
language plpgsql as $$
begin
    update north.erasures set completed_at = coalesce(completed_at, now())
    where user_id = p_user;

    update north.jobs
    set done_at = now(), leased_until = null, last_error = null,
        user_id = null
    where id = p_job;
end $$;
