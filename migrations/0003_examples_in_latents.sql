-- saescope index schema v3: a latent's example groups in its own row of `latents`.
-- v2 kept them in a table of their own, so a feature page read two B-tree leaves (two page
-- reads from the file) where one now holds the latent whole; a typical latent (~3 KB) fits one
-- 4 KB page. `groups` keeps v2's encoding (see 0002_compact_examples.sql); x'' when the latent
-- has no examples. The table is rebuilt in id order rather than altered, so its pages stay full.
CREATE TABLE latents_v3 (
    id             INTEGER PRIMARY KEY,
    density        REAL NOT NULL,
    max_activation REAL NOT NULL,
    mean           REAL NOT NULL,
    mean_square    REAL NOT NULL,
    skew           REAL,
    kurtosis       REAL,
    hist_min       REAL NOT NULL DEFAULT 0,
    hist_max       REAL NOT NULL DEFAULT 0,
    hist_counts    BLOB NOT NULL DEFAULT x'',
    top_logits     BLOB NOT NULL DEFAULT x'',
    bottom_logits  BLOB NOT NULL DEFAULT x'',
    neighbors      BLOB NOT NULL DEFAULT x'',
    groups         BLOB NOT NULL DEFAULT x''
);
INSERT INTO latents_v3
    SELECT l.id, l.density, l.max_activation, l.mean, l.mean_square, l.skew, l.kurtosis, l.hist_min, l.hist_max,
           l.hist_counts, l.top_logits, l.bottom_logits, l.neighbors, coalesce(e.groups, x'')
    FROM latents l LEFT JOIN examples e ON e.latent_id = l.id ORDER BY l.id;
DROP TABLE examples;
DROP TABLE latents;
ALTER TABLE latents_v3 RENAME TO latents;
CREATE INDEX latents_density ON latents(density);
CREATE INDEX latents_max_activation ON latents(max_activation);
