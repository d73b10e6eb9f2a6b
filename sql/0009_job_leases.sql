-- Short job leases kept alive by their worker, and given back when it
-- leaves (issue: reliability under faults, interrupted Plaid syncs).
--
-- A job is claimed for north_jobs_lease (30 s by default) and its worker
-- renews the lease every third of it while the job runs: a worker that
-- dies is replaced within one lease, however long the job. A worker that
-- leaves (reload, graceful shutdown) stops its job at a safe point and
-- hands it back: it runs again at once on another worker, the attempt not
-- counted. Each attempt acts only while the lease is its own: an attempt
-- whose lease ran out (its worker stalled) and whose job was claimed again
-- can neither renew nor end it.
--
-- An item's sync lease is no longer a time of its own but the sync job that
-- holds it (plaid_items.sync_job): it lasts exactly as long as that job's
-- lease, and a page is applied only by the attempt that holds it.


drop function if exists north.job_retry(bigint, text);


-- --- the item's sync lease is its sync job's -------------------------------------

alter table north.plaid_items add column sync_job bigint;
alter table north.plaid_items drop column sync_lease;

drop function if exists north.plaid_sync_begin(uuid, interval);


