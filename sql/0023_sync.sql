-- The sync engine (Phase 3): what the app keeps a copy of, and what changed.
--
-- north.sync_entities names each synced entity, its table and its fields:
-- those the app may write (the rest are the bank's or the server's). A
-- trigger on each table keeps north.sync_changes: one row per entity of a
-- user, rewritten in place by every change (so the feed hands the current
-- row once, however often it changed), a tombstone after a delete. Each row
-- carries its writing transaction (xid) and a sequence number: the feed
-- reads in (xid, seq) order and only below the oldest transaction still
-- running, so one that commits late is never skipped. Each field also
-- carries the hybrid logical clock and the entity version of its last
-- write: offline edits merge per field, the latest clock wins.

create table north.sync_entities (
    entity    text    primary key,
    tbl       regclass not null,
    user_col  text    not null,             -- the owner's column
    id_col    text    not null,             -- the key the app names it by
    fields    text[]  not null,             -- what the feed shows
    writable  text[]  not null default '{}',
    creatable text[]  not null default '{}',-- also writable on creation
    deletable boolean not null default false,
    owner     text    not null default 'server' -- who sets the rest
);

insert into north.sync_entities (entity, tbl, user_col, id_col, fields,
                                 writable, creatable, deletable, owner)
values
    ('account', 'north.accounts', 'user_id', 'id',
     '{name,official_name,type,subtype,mask,currency,balance_cents,'
     'available_cents,limit_cents,balance_updated_at,item_id}',
     '{}', '{}', false, 'bank'),
    ('transaction', 'north.transactions', 'user_id', 'id',
     '{account_id,amount_cents,currency,date,authorized_date,name,'
     'merchant_name,pending,payment_channel,category,category_source,'
     'pfc_primary,pfc_detailed,notes,hidden}',
     '{category,notes,hidden}', '{}', false, 'bank'),
    ('rule', 'north.category_user_rules', 'user_id', 'id',
     '{pattern,category}', '{category}', '{pattern}', true, 'server'),
    ('goal', 'north.goals', 'user_id', 'id',
     '{name,kind,purpose,target_cents,target_date,account_id,start_cents,'
     'tracking,created_on}',
     '{name,purpose,target_cents,target_date}', '{kind,account_id}', true,
     'server'),
    ('goal_contribution', 'north.goal_contributions', 'user_id', 'id',
     '{goal_id,amount_cents,made_on,note}', '{}', '{}', false, 'server'),
    ('manual_item', 'north.manual_items', 'user_id', 'id',
     '{name,kind,type,value_cents,currency,notes}',
     '{name,type,value_cents,currency,notes}', '{}', true, 'server'),
    ('profile', 'north.users', 'id', 'id',
     '{email,display_name,locale,province,time_zone,birth_year,'
     'annual_income_cents,employment_status}',
     '{display_name,locale,province,birth_year,annual_income_cents,'
     'employment_status}', '{}', false, 'server'),
    ('notification', 'north.notifications', 'user_id', 'id',
     '{category,title,body,created_at,read_at}', '{}', '{}', false,
     'server'),
    ('gamification', 'north.points_totals', 'user_id', 'user_id',
     '{points,level}', '{}', '{}', false, 'server');

create sequence north.sync_seq;

create table north.sync_changes (
    user_id    uuid        not null references north.users (id)
                           on delete cascade,
    entity     text        not null references north.sync_entities,
    id         uuid        not null,
    op         text        not null check (op in ('upsert', 'delete')),
    version    bigint      not null,
    xid        xid8        not null default pg_current_xact_id(),
    seq        bigint      not null default nextval('north.sync_seq'),
    fields     text[]      not null,    -- what the last change changed
    clocks     jsonb       not null,    -- field: HLC of its last write
    versions   jsonb       not null,    -- field: version of its last write
    changed_at timestamptz not null default now(),
    primary key (user_id, entity, id)
);

create index sync_changes_feed_idx on north.sync_changes (user_id, xid, seq);
create index sync_changes_tombstones_idx on north.sync_changes (changed_at)
    where op = 'delete';

-- the newest tombstone of each user that retention removed: a cursor
-- before it may have missed a delete and must start again
create table north.sync_pruned (
    user_id uuid   primary key references north.users (id)
                   on delete cascade,
    xid     xid8   not null,
    seq     bigint not null
);

-- an offline edit's outcome, so a replay answers the same
create table north.sync_mutations (
    user_id            uuid        not null references north.users (id)
                                   on delete cascade,
    client_mutation_id text        not null,
    outcome            jsonb       not null,
    created_at         timestamptz not null default now(),
    primary key (user_id, client_mutation_id)
);

create index sync_mutations_created_idx on north.sync_mutations (created_at);

-- a silent push: data only, no notification behind it ("sync": the app
-- has something new to fetch), at most one a device every 15 minutes
alter table north.push_deliveries alter column notification_id drop not null;
alter table north.push_deliveries add column silent text
    check (silent in ('sync'));
alter table north.push_deliveries add constraint push_deliveries_kind_check
    check ((notification_id is null) = (silent is not null));
create index push_deliveries_silent_idx
    on north.push_deliveries (user_id, device_id, not_before)
    where silent is not null;

do $$
begin
    if exists (select 1 from pg_roles where rolname = 'north_app') then
        -- the change log is written by the triggers only
        revoke insert, update, truncate on north.sync_changes from north_app;
        revoke insert, update, delete, truncate on north.sync_entities
            from north_app;
    end if;
end $$;

-- what exists already, as if each entity had just been written by the
-- server: a first sync hands it all
do $$
declare
    e     north.sync_entities;
    v_hlc text := to_char(now() at time zone 'UTC',
                          'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
                  || '-0000-0000000000000000';
begin
    for e in select * from north.sync_entities loop
        execute format('insert into north.sync_changes (user_id, entity, id,
                            op, version, fields, clocks, versions)
                        select t.%1$I, %2$L, t.%3$I, ''upsert'', 1, $1,
                               (select jsonb_object_agg(f, $2) from unnest($1) f),
                               (select jsonb_object_agg(f, 1) from unnest($1) f)
                        from %4$s t', e.user_col, e.entity, e.id_col, e.tbl)
        using e.fields, v_hlc;
    end loop;
end $$;
