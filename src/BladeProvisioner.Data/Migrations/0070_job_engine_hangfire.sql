-- The job engine is Hangfire (its storage lives in the schema "hangfire", installed by its own installer under the
-- migration lock). Quartz's job-store tables go; a row of jobs records which engine job last carried it.
DROP TABLE IF EXISTS qrtz_fired_triggers, qrtz_paused_trigger_grps, qrtz_scheduler_state, qrtz_locks,
    qrtz_simprop_triggers, qrtz_simple_triggers, qrtz_cron_triggers, qrtz_blob_triggers, qrtz_triggers,
    qrtz_job_details, qrtz_calendars CASCADE;
ALTER TABLE jobs ADD COLUMN engine_job_id text NULL;
