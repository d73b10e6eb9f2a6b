-- Canadian tax (issue: financial analytics): the figures of each year as
-- data, one row per jurisdiction, year and bracket, so that a budget is a
-- data change; and each user's tax profile. The arithmetic is in C
-- (handlers/tax/tax_rules.c). Sources: shared REFERENCE.md section 4; the
-- two 2025 figures it does not give (BC's basic personal amount, Ontario's
-- surtax thresholds) are CRA's T4127 payroll formulas, 2025 editions.
--
-- Rates are in hundredths of a percent (1450 = 14.50%), amounts in cents.
-- 'CA' is the federal jurisdiction.

create table north.tax_jurisdictions (
    jurisdiction         char(2)  not null
                         check (jurisdiction in ('CA', 'AB', 'BC', 'MB',
                                'NB', 'NL', 'NS', 'NT', 'NU', 'ON', 'PE',
                                'QC', 'SK', 'YT')),
    year                 smallint not null check (year between 2000 and 2100),
    -- the basic personal amount, phased from bpa down to bpa_min as
    -- taxable income goes from phase_from to phase_to (both null: no phase)
    bpa_cents            bigint   not null check (bpa_cents >= 0),
    bpa_min_cents        bigint   not null
                         check (bpa_min_cents between 0 and bpa_cents),
    bpa_phase_from_cents bigint,
    bpa_phase_to_cents   bigint,
    -- what a non-refundable credit is worth: the lowest rate
    credit_rate_bp       integer  not null check (credit_rate_bp > 0),
    -- the share of basic federal tax a resident here does not pay
    -- (Quebec's 16.5% abatement)
    federal_abatement_bp integer  not null default 0,
    primary key (jurisdiction, year),
    check ((bpa_phase_from_cents is null) = (bpa_phase_to_cents is null)),
    check (bpa_phase_to_cents > bpa_phase_from_cents)
);

-- rate_bp applies to the part of taxable income above over_cents, up to
-- the next bracket's over_cents
create table north.tax_brackets (
    jurisdiction  char(2)  not null,
    year          smallint not null,
    over_cents    bigint   not null check (over_cents >= 0),
    rate_bp       integer  not null check (rate_bp between 1 and 10000),
    primary key (jurisdiction, year, over_cents),
    foreign key (jurisdiction, year)
        references north.tax_jurisdictions on delete cascade
);

-- a surtax on the provincial tax (after credits) above over_cents
create table north.tax_surtax (
    jurisdiction  char(2)  not null,
    year          smallint not null,
    over_cents    bigint   not null check (over_cents >= 0),
    rate_bp       integer  not null check (rate_bp between 1 and 10000),
    primary key (jurisdiction, year, over_cents),
    foreign key (jurisdiction, year)
        references north.tax_jurisdictions on delete cascade
);

-- a premium on taxable income (Ontario's health premium): above
-- over_cents, base + rate of the excess, at most max
create table north.tax_premium (
    jurisdiction  char(2)  not null,
    year          smallint not null,
    over_cents    bigint   not null check (over_cents >= 0),
    base_cents    bigint   not null check (base_cents >= 0),
    rate_bp       integer  not null check (rate_bp between 0 and 10000),
    max_cents     bigint   not null check (max_cents >= base_cents),
    primary key (jurisdiction, year, over_cents),
    foreign key (jurisdiction, year)
        references north.tax_jurisdictions on delete cascade
);

-- what may go into a registered account in a year: the TFSA limit, the
-- RRSP dollar limit, the FHSA's annual amount with its carry-forward and
-- lifetime caps
create table north.tax_account_limits (
    kind            text     not null check (kind in ('tfsa', 'rrsp', 'fhsa')),
    year            smallint not null check (year between 2000 and 2100),
    annual_cents    bigint   not null check (annual_cents > 0),
    carry_max_cents bigint   check (carry_max_cents >= 0),
    lifetime_cents  bigint   check (lifetime_cents > 0),
    primary key (kind, year)
);


-- --- the user's tax profile ---------------------------------------------------
-- What CRA knows and North cannot see. Province and birth year fall back to
-- the profile's (north.users) when not given here.
create table north.tax_profiles (
    user_id                     uuid        primary key
                                references north.users (id) on delete cascade,
    birth_year                  smallint    check (birth_year between 1900 and 2100),
    province                    char(2)     check (province in ('AB', 'BC',
                                'MB', 'NB', 'NL', 'NS', 'NT', 'NU', 'ON',
                                'PE', 'QC', 'SK', 'YT')),
    resident_since_year         smallint    check (resident_since_year
                                                   between 1900 and 2100),
    -- the RRSP deduction limit the Notice of Assessment states for a year
    rrsp_deduction_limit_cents  bigint      check (rrsp_deduction_limit_cents
                                                   between 0 and 10000000000),
    rrsp_deduction_limit_year   smallint,
    prior_year_earned_income_cents bigint   check (prior_year_earned_income_cents
                                                   between 0 and 100000000000),
    pension_adjustment_cents    bigint      check (pension_adjustment_cents
                                                   between 0 and 10000000000),
    fhsa_opened_year            smallint    check (fhsa_opened_year
                                                   between 2023 and 2100),
    -- the TFSA room CRA states at January 1 of a year
    tfsa_room_cents             bigint      check (tfsa_room_cents
                                                   between 0 and 10000000000),
    tfsa_room_year              smallint,
    updated_at                  timestamptz not null default now(),
    check ((rrsp_deduction_limit_cents is null)
           = (rrsp_deduction_limit_year is null)),
    check ((tfsa_room_cents is null) = (tfsa_room_year is null))
);


-- the figures are the schema owner's to change, not the application's
do $$
begin
    if exists (select 1 from pg_roles where rolname = 'north_app') then
        revoke insert, update, delete, truncate on north.tax_jurisdictions,
            north.tax_brackets, north.tax_surtax, north.tax_premium,
            north.tax_account_limits from north_app;
    end if;
end $$;


-- --- the figures ---------------------------------------------------------------

insert into north.tax_account_limits (kind, year, annual_cents) values
    ('tfsa', 2009, 500000), ('tfsa', 2010, 500000), ('tfsa', 2011, 500000),
    ('tfsa', 2012, 500000), ('tfsa', 2013, 550000), ('tfsa', 2014, 550000),
    ('tfsa', 2015, 1000000), ('tfsa', 2016, 550000), ('tfsa', 2017, 550000),
    ('tfsa', 2018, 550000), ('tfsa', 2019, 600000), ('tfsa', 2020, 600000),
    ('tfsa', 2021, 600000), ('tfsa', 2022, 600000), ('tfsa', 2023, 650000),
    ('tfsa', 2024, 700000), ('tfsa', 2025, 700000), ('tfsa', 2026, 700000),
    ('rrsp', 2020, 2723000), ('rrsp', 2021, 2783000), ('rrsp', 2022, 2921000),
    ('rrsp', 2023, 3078000), ('rrsp', 2024, 3156000), ('rrsp', 2025, 3249000),
    ('rrsp', 2026, 3381000);

insert into north.tax_account_limits
    (kind, year, annual_cents, carry_max_cents, lifetime_cents)
select 'fhsa', y, 800000, 800000, 4000000 from generate_series(2023, 2026) y;

-- jurisdiction, year, bpa, bpa_min, phase from, phase to, credit rate,
-- federal abatement
insert into north.tax_jurisdictions values
    ('CA', 2025, 1612900, 1453800, 17788200, 25341400, 1450, 0),
    ('CA', 2026, 1645200, 1482900, 18144000, 25848200, 1400, 0),
    ('AB', 2025, 2232300, 2232300, null, null, 800, 0),
    ('AB', 2026, 2276900, 2276900, null, null, 800, 0),
    ('BC', 2025, 1293200, 1293200, null, null, 506, 0),
    ('BC', 2026, 1321600, 1321600, null, null, 506, 0),
    ('MB', 2025, 1578000, 0, 20000000, 40000000, 1080, 0),
    ('MB', 2026, 1578000, 0, 20000000, 40000000, 1080, 0),
    ('NB', 2025, 1339600, 1339600, null, null, 940, 0),
    ('NB', 2026, 1366400, 1366400, null, null, 940, 0),
    ('NL', 2025, 1106700, 1106700, null, null, 870, 0),
    ('NL', 2026, 1118800, 1118800, null, null, 870, 0),
    ('NS', 2025, 1174400, 1174400, null, null, 879, 0),
    ('NS', 2026, 1193200, 1193200, null, null, 879, 0),
    ('NT', 2025, 1784200, 1784200, null, null, 590, 0),
    ('NT', 2026, 1819800, 1819800, null, null, 590, 0),
    ('NU', 2025, 1927400, 1927400, null, null, 400, 0),
    ('NU', 2026, 1965900, 1965900, null, null, 400, 0),
    ('ON', 2025, 1274700, 1274700, null, null, 505, 0),
    ('ON', 2026, 1298900, 1298900, null, null, 505, 0),
    ('PE', 2025, 1465000, 1465000, null, null, 950, 0),
    ('PE', 2026, 1500000, 1500000, null, null, 950, 0),
    ('QC', 2025, 1857100, 1857100, null, null, 1400, 1650),
    ('QC', 2026, 1895200, 1895200, null, null, 1400, 1650),
    ('SK', 2025, 1949100, 1949100, null, null, 1050, 0),
    ('SK', 2026, 2038100, 2038100, null, null, 1050, 0),
    ('YT', 2025, 1612900, 1453800, 17788200, 25341400, 640, 0),
    ('YT', 2026, 1645200, 1482900, 18144000, 25848200, 640, 0);

-- the brackets, each written as its jurisdiction's list of (over, rate)
insert into north.tax_brackets (jurisdiction, year, over_cents, rate_bp)
select j, y, (b ->> 0)::bigint * 100, (b ->> 1)::integer
from (values
    ('CA', 2025, '[[0,1450],[57375,2050],[114750,2600],[177882,2900],[253414,3300]]'),
    ('CA', 2026, '[[0,1400],[58523,2050],[117045,2600],[181440,2900],[258482,3300]]'),
    ('AB', 2025, '[[0,800],[60000,1000],[151234,1200],[181481,1300],[241974,1400],[362961,1500]]'),
    ('AB', 2026, '[[0,800],[61200,1000],[154259,1200],[185111,1300],[246813,1400],[370220,1500]]'),
    ('BC', 2025, '[[0,506],[49279,770],[98560,1050],[113158,1229],[137407,1470],[186306,1680],[259829,2050]]'),
    ('BC', 2026, '[[0,506],[50363,770],[100728,1050],[115648,1229],[140430,1470],[190405,1680],[265545,2050]]'),
    ('MB', 2025, '[[0,1080],[47000,1275],[100000,1740]]'),
    ('MB', 2026, '[[0,1080],[47000,1275],[100000,1740]]'),
    ('NB', 2025, '[[0,940],[51306,1400],[102614,1600],[190060,1950]]'),
    ('NB', 2026, '[[0,940],[52333,1400],[104666,1600],[193861,1950]]'),
    ('NL', 2025, '[[0,870],[44192,1450],[88382,1580],[157792,1780],[220910,1980],[282214,2080],[564429,2130],[1128858,2180]]'),
    ('NL', 2026, '[[0,870],[44678,1450],[89354,1580],[159528,1780],[223340,1980],[285319,2080],[570638,2130],[1141275,2180]]'),
    ('NS', 2025, '[[0,879],[30507,1495],[61015,1667],[95883,1750],[154650,2100]]'),
    ('NS', 2026, '[[0,879],[30995,1495],[61991,1667],[97417,1750],[157124,2100]]'),
    ('NT', 2025, '[[0,590],[51964,860],[103930,1220],[168967,1405]]'),
    ('NT', 2026, '[[0,590],[53003,860],[106009,1220],[172346,1405]]'),
    ('NU', 2025, '[[0,400],[54707,700],[109413,900],[177881,1150]]'),
    ('NU', 2026, '[[0,400],[55801,700],[111602,900],[181439,1150]]'),
    ('ON', 2025, '[[0,505],[52886,915],[105775,1116],[150000,1216],[220000,1316]]'),
    ('ON', 2026, '[[0,505],[53891,915],[107785,1116],[150000,1216],[220000,1316]]'),
    ('PE', 2025, '[[0,950],[33328,1347],[64656,1660],[105000,1762],[140000,1900]]'),
    ('PE', 2026, '[[0,950],[33928,1347],[65820,1660],[106890,1762],[142250,1900]]'),
    ('QC', 2025, '[[0,1400],[53255,1900],[106495,2400],[129590,2575]]'),
    ('QC', 2026, '[[0,1400],[54345,1900],[108680,2400],[132245,2575]]'),
    ('SK', 2025, '[[0,1050],[53463,1250],[152750,1450]]'),
    ('SK', 2026, '[[0,1050],[54532,1250],[155805,1450]]'),
    ('YT', 2025, '[[0,640],[57375,900],[114750,1090],[177882,1280],[500000,1500]]'),
    ('YT', 2026, '[[0,640],[58523,900],[117045,1090],[181440,1280],[500000,1500]]')
) as t (j, y, list), jsonb_array_elements(list::jsonb) b;

insert into north.tax_surtax values
    ('ON', 2025, 571000, 2000), ('ON', 2025, 730700, 3600),
    ('ON', 2026, 581800, 2000), ('ON', 2026, 744600, 3600);

insert into north.tax_premium
select 'ON', y, o * 100, b * 100, r, m * 100
from generate_series(2025, 2026) y,
     (values (20000, 0, 600, 300), (36000, 300, 600, 450),
             (48000, 450, 2500, 600), (72000, 600, 2500, 750),
             (200000, 750, 2500, 900)) as p (o, b, r, m);
