create or replace function north.audit_refuse_change()
returns trigger
language plpgsql as $$
begin
    -- north.audit_retire() alone removes audit rows: those past retention
    if tg_op = 'DELETE' and tg_table_name = 'audit_log'
       and current_setting('north.audit_retiring', true) = 'on'
    then
        return old;
    end if;

    raise exception 'north.audit_log is append-only'
        using errcode = 'insufficient_privilege';
end $$;

drop trigger if exists audit_log_append_only on north.audit_log;
create trigger audit_log_append_only
    before update or delete on north.audit_log
    for each row execute function north.audit_refuse_change();

drop trigger if exists audit_log_no_truncate on north.audit_log;
create trigger audit_log_no_truncate
    before truncate on north.audit_log
    for each statement execute function north.audit_refuse_change();

-- never purged: erasure and retention jobs do not touch it
drop trigger if exists breach_register_keep on north.breach_register;
create trigger breach_register_keep
    before delete on north.breach_register
    for each row execute function north.audit_refuse_change();

drop trigger if exists breach_register_no_truncate on north.breach_register;
create trigger breach_register_no_truncate
    before truncate on north.breach_register
    for each statement execute function north.audit_refuse_change();
