-- saescope index schema v2: a latent's example groups in one row, compactly encoded.
-- v1 stored each group in its own row with u32 token ids and every activation as an f32; a
-- page read three or four B-tree leaves for them. The same snippets now take about 40 % of the
-- bytes and usually one leaf.
--
-- groups: u8 token id width (2 or 4), u8 group count (group 0 holds the top examples; groups
-- 1, 2, … the activation intervals, highest range first), then per group
--   f64 min, f64 max, f64 contains (the fraction 0…1 of the latent's positive activations in
--   the interval), u32 count, and its `count` snippets back to back, each:
--   u32 document, u32 position (of its first token in the document), u32 n, u32 nonzero,
--   n token ids, nonzero positions (u16, u32 when n > 65,536; ascending),
--   nonzero f32 activations: the snippet's activations that are not +0, at those positions.
-- All little-endian. saescope_pack_groups (registered by the migrator) re-encodes v1's rows.
CREATE TABLE examples (
    latent_id INTEGER PRIMARY KEY,
    groups    BLOB NOT NULL
);
INSERT INTO examples (latent_id, groups)
    SELECT latent_id, saescope_pack_groups(latent_id, grp, min, max, contains, count, examples)
    FROM example_groups GROUP BY latent_id ORDER BY latent_id;
DROP TABLE example_groups;
