-- Enrolment is bounded: blades that unauthenticated boot traffic enrolled (state Discovered) and no admin or operator
-- has acted on yet count against Enrolment:MaxUnclaimedBlades. claimed_at is set by the first API action on a blade.
-- Blades from before this that carry something only the API sets (a location from the API, an assigned image, a BMC)
-- were plainly touched by an admin.
ALTER TABLE blades ADD COLUMN claimed_at timestamptz NULL;
UPDATE blades SET claimed_at = created_at
WHERE location_source = 'api' OR assigned_image_id IS NOT NULL OR bmc_address IS NOT NULL OR state <> 'Discovered';
CREATE INDEX ix_blades_unclaimed ON blades (id) WHERE state = 'Discovered' AND claimed_at IS NULL;

-- Mutual CHAP per blade: NULL follows Storage:Volumes:MutualChap (on by default), true/false overrides it. Read when
-- a volume is provisioned; a volume keeps what it was made with.
ALTER TABLE blades ADD COLUMN mutual_chap boolean NULL;
