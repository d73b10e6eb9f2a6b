-- Secrets re-sealed under new_key by the data.reseal job: rows
-- [{tbl, id, key_id, sealed}], key_id the key it opened them with. A row
-- is written only if it is still under that key (a re-link in between
-- sealed it anew); returns how many were written.
create or replace function north.data_resealed(new_key text, rows jsonb)
returns integer
language plpgsql as $$
declare
    n integer;
    m integer;
begin
    update north.plaid_items i
    set access_token = r.sealed, token_key_id = new_key
    from jsonb_to_recordset(rows) r(tbl text, id text, key_id text, sealed text)
    where r.tbl = 'item' and i.id = r.id::uuid and i.token_key_id = r.key_id;
    get diagnostics n = row_count;

    update north.plaid_removals x
    set access_token = r.sealed, token_key_id = new_key
    from jsonb_to_recordset(rows) r(tbl text, id text, key_id text, sealed text)
    where r.tbl = 'removal' and x.id = r.id::bigint and x.token_key_id = r.key_id;
    get diagnostics m = row_count;

    return n + m;
end
$$;
