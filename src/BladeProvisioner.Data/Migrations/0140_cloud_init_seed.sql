-- cloud-init NoCloud seed per clone: settings per image version and per blade (SSH authorised keys; user-data protected
-- like the CHAP secrets, its size and SHA-256 shown instead), the seed LUN of each volume (so the reconciler exports it
-- again), its instance-id and the SHA-256 of the phone-home token (the token itself is only in the seed). Settings
-- apply to clones made after a change. The blade's boot API base URL is where its OS phones home.
ALTER TABLE donor_images
    ADD COLUMN cloud_init text NOT NULL DEFAULT 'Auto' CHECK (cloud_init IN ('Auto', 'On', 'Off')),
    ADD COLUMN cloud_init_ssh_keys text NULL,
    ADD COLUMN cloud_init_user_data_protected text NULL,
    ADD COLUMN cloud_init_user_data_sha256 text NULL,
    ADD COLUMN cloud_init_user_data_bytes integer NULL;
ALTER TABLE blades
    ADD COLUMN cloud_init_ssh_keys text NULL,
    ADD COLUMN cloud_init_user_data_protected text NULL,
    ADD COLUMN cloud_init_user_data_sha256 text NULL,
    ADD COLUMN cloud_init_user_data_bytes integer NULL,
    ADD COLUMN boot_base_url text NULL;
ALTER TABLE boot_volumes
    ADD COLUMN seed_path text NULL,
    ADD COLUMN seed_lun integer NULL,
    ADD COLUMN seed_scsi_serial text NULL,
    ADD COLUMN seed_wwn text NULL,
    ADD COLUMN instance_id text NULL,
    ADD COLUMN phone_home_token_hash text NULL;
CREATE UNIQUE INDEX ix_boot_volumes_phone_home_token_hash ON boot_volumes (phone_home_token_hash);
