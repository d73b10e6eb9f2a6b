-- The sync job's retention: tombstones older than p_keep are removed (each
-- user's newest removed one is recorded, so a cursor before it is told to
-- start again), and the outcomes of offline edits older than p_keep are
-- forgotten. Returns how many tombstones were removed.
create or replace function north.sync_prune(p_keep interval)
returns bigint
language plpgsql as $$
declare
    n bigint;
begin
    with gone as (
        delete from north.sync_changes c
        where c.op = 'delete' and c.changed_at < north.clock_now() - p_keep
        returning c.user_id, c.xid, c.seq),
    newest as (
        select distinct on (g.user_id) g.user_id, g.xid, g.seq
        from gone g order by g.user_id, g.xid desc, g.seq desc),
    kept as (
        insert into north.sync_pruned as p (user_id, xid, seq)
        select * from newest
        on conflict (user_id) do update
        set xid = excluded.xid, seq = excluded.seq
        where (excluded.xid, excluded.seq) > (p.xid, p.seq))
    select count(*) into n from gone;

    delete from north.sync_mutations
    where created_at < north.clock_now() - p_keep;

    return n;
end
$$;
