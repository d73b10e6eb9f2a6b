-- A row of the points ledger as the app shows it.
-- (PL/pgSQL: its plans are kept for the connection; an SQL function
-- with a FROM is planned again at every call.)
create or replace function north.points_entry_json(l north.points_ledger,
    p_fr boolean)
returns json
language plpgsql stable as $$
begin
    return (
        select json_build_object(
            'id', l.id::text,
            'points', l.points,
            'reason', l.reason,
            'label', (select case when p_fr then r.label_fr else r.label_en end
                      from north.points_rules r where r.reason = l.reason),
            'ref', l.ref,
            'day', l.local_day,
            'at', north.rfc3339(l.at)));
end $$;
