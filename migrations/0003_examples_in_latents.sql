-- saescope index schema v3: a latent's example groups in its own row of `latents`.
-- v2 kept them in a table of their own, so a feature page read two B-tree leaves (two page
-- reads from the file) where one now holds the latent whole; a typical latent (~3 KB) fits one
-- 4 KB page. `groups` keeps v2's encoding (see 0002_compact_examples.sql); x'' when the latent
-- has no examples. The rows grow in place; `saescope migrate` then compacts the file (VACUUM),
-- which also packs the table's pages in id order again.
ALTER TABLE latents ADD COLUMN groups BLOB NOT NULL DEFAULT x'';
UPDATE latents SET groups = (SELECT groups FROM examples WHERE latent_id = latents.id)
    WHERE id IN (SELECT latent_id FROM examples);
DROP TABLE examples;
