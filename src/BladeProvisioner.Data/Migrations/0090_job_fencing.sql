-- Fencing: every claim of a job row (an execution marking it Running) takes the next epoch; progress, checkpoints
-- and the final state are written only by the execution that holds the current one. An execution that lost its lock
-- (its database connection died, PostgreSQL restarted) and was overtaken can no longer write the row.
ALTER TABLE jobs ADD COLUMN epoch bigint NOT NULL DEFAULT 0;
