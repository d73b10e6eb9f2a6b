-- Gamification (Phase 2): points in an append-only ledger, levels,
-- achievements and streaks. The rules, levels and achievements are data:
-- product changes them with an UPDATE, not a release. Points come from the
-- domain events of the other services (north.gamification_events, the
-- consumer "gamification") and from the daily check-in.

create table north.points_rules (
    reason     text        primary key,
    points     integer     not null check (points between 0 and 10000),
    daily_cap  integer     not null check (daily_cap >= 1),  -- awards a
                                                             -- local day
    label_en   text        not null,
    label_fr   text        not null
);

insert into north.points_rules values
    ('checkin',           10, 1, 'Daily check-in', 'Visite quotidienne'),
    ('bank_linked',      100, 1, 'First bank linked',
                                 'Première banque liée'),
    ('all_categorised',   20, 1, 'Every transaction categorised',
                                 'Toutes les transactions catégorisées'),
    ('goal_created',      50, 3, 'Goal created', 'Objectif créé'),
    ('goal_contribution', 15, 5, 'Contribution to a goal',
                                 'Contribution à un objectif'),
    ('goal_milestone',    50, 8, 'Goal milestone reached',
                                 'Étape d''objectif atteinte'),
    ('rule_created',      10, 5, 'Category rule created',
                                 'Règle de catégorie créée'),
    ('profile_completed', 50, 1, 'Profile completed', 'Profil complété');

create table north.levels (
    level      integer     primary key check (level >= 1),
    min_points integer     not null unique check (min_points >= 0),
    name_en    text        not null,
    name_fr    text        not null
);

insert into north.levels values
    (1,     0, 'Newcomer',   'Nouveau venu'),
    (2,   100, 'Saver',      'Épargnant'),
    (3,   300, 'Planner',    'Planificateur'),
    (4,   700, 'Budgeter',   'Gestionnaire'),
    (5,  1500, 'Strategist', 'Stratège'),
    (6,  3000, 'Builder',    'Bâtisseur'),
    (7,  6000, 'Achiever',   'Accompli'),
    (8, 10000, 'Master',     'Maître'),
    (9, 20000, 'Legend',     'Légende');

-- criterion: what north.achievements_progress() measures for it
create table north.achievements (
    id             text        primary key,
    criterion      text        not null
                   check (criterion in ('checkin_streak', 'goals_reached',
                                        'saved_cents', 'emergency_months',
                                        'month_categorised', 'rules')),
    target         numeric     not null check (target > 0),
    sort           integer     not null,
    name_en        text        not null,
    name_fr        text        not null,
    description_en text        not null,
    description_fr text        not null
);

insert into north.achievements values
    ('streak_7', 'checkin_streak', 7, 1, '7-day streak', 'Série de 7 jours',
     'Check in 7 days in a row.', 'Visitez North 7 jours de suite.'),
    ('streak_30', 'checkin_streak', 30, 2, '30-day streak',
     'Série de 30 jours', 'Check in 30 days in a row.',
     'Visitez North 30 jours de suite.'),
    ('first_goal_reached', 'goals_reached', 1, 3, 'First goal reached',
     'Premier objectif atteint', 'Reach 100% of a goal.',
     'Atteignez 100 % d''un objectif.'),
    ('saved_1000', 'saved_cents', 100000, 4, '$1,000 saved',
     '1 000 $ épargnés', 'Save $1,000 toward your goals.',
     'Épargnez 1 000 $ pour vos objectifs.'),
    ('emergency_fund_3m', 'emergency_months', 3, 5, 'Emergency fund',
     'Fonds d''urgence',
     'Hold 3 months of spending in chequing and savings.',
     'Détenez 3 mois de dépenses en comptes chèques et épargne.'),
    ('month_categorised', 'month_categorised', 1, 6, 'All sorted',
     'Tout est classé', 'No uncategorised transaction this month.',
     'Aucune transaction non catégorisée ce mois-ci.'),
    ('rules_10', 'rules', 10, 7, 'Rule maker', 'Maître des règles',
     'Create 10 category rules.', 'Créez 10 règles de catégorie.');

-- Append-only: a row is never changed; the erasure deletes a user's rows.
create table north.points_ledger (
    id         bigint      generated always as identity primary key,
    user_id    uuid        not null references north.users (id)
                           on delete cascade,
    points     integer     not null,
    reason     text        not null references north.points_rules (reason),
    ref        text,                    -- the goal, item, day... it is for
    event_key  text        not null,    -- one award per real-world event
    local_day  date        not null,    -- the user's date: the daily cap's
    at         timestamptz not null default now(),
    unique (user_id, event_key)
);

create index points_ledger_user_idx on north.points_ledger (user_id, id);
create index points_ledger_cap_idx
    on north.points_ledger (user_id, reason, local_day);

-- the ledger's sum, kept exact by the transaction that adds a row
create table north.points_totals (
    user_id    uuid        primary key references north.users (id)
                           on delete cascade,
    points     bigint      not null default 0,
    level      integer     not null default 1,
    updated_at timestamptz not null default now()
);

create table north.user_achievements (
    user_id     uuid        not null references north.users (id)
                            on delete cascade,
    achievement text        not null references north.achievements (id),
    earned_at   timestamptz not null default now(),
    primary key (user_id, achievement)
);

-- one row a local day; zone: the one the day was counted in
create table north.checkins (
    user_id    uuid        not null references north.users (id)
                           on delete cascade,
    day        date        not null,
    zone       text        not null,
    at         timestamptz not null default now(),
    primary key (user_id, day)
);

-- period: a day (checkin) or a week's Monday (savings)
create table north.streaks (
    user_id     uuid        not null references north.users (id)
                            on delete cascade,
    kind        text        not null check (kind in ('checkin', 'savings')),
    current     integer     not null default 0,
    longest     integer     not null default 0,
    last_period date,
    last_zone   text,
    freeze_on   date,                   -- the last day a freeze covered
    updated_at  timestamptz not null default now(),
    primary key (user_id, kind)
);

insert into north.event_consumers (name, fn)
values ('gamification', 'north.gamification_events');
