-- Per image version: what each clone gets inside its OS, and whether it gets new disk/partition ids. Existing versions
-- get what every clone got before this (identity personalisation is new; Auto keeps ids only for donors that name
-- partitions by PARTUUID, which did not boot before). Both apply to clones made after a change.
ALTER TABLE donor_images
    ADD COLUMN os_personalization text NOT NULL DEFAULT 'Identity' CHECK (os_personalization IN ('Identity', 'Off')),
    ADD COLUMN disk_identifiers text NOT NULL DEFAULT 'Auto' CHECK (disk_identifiers IN ('Auto', 'Keep', 'Regenerate'));
