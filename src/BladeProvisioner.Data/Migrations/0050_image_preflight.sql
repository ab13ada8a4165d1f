-- Findings of the image preflight (partition table, boot loader, iSCSI boot hints) as a JSON array of
-- {level, check, message}; NULL until the import has run it.
ALTER TABLE donor_images ADD COLUMN preflight jsonb NULL;
