-- saescope index schema v1.
-- A shipped migration is never edited: change the schema with a new file, 0002_what.sql.
-- Blobs are little-endian packed arrays; their layout is given beside each column.
-- Nothing on a request path scans a whole table: lookups are by primary key or an index.

-- Key/value metadata; every value is a JSON document.
--   sae, model, corpus, build: what the index was built from and how;
--   summary: dead latents, tokens indexed, the log10-density histogram of all latents.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- The tokenizer's vocabulary, so the server renders snippets without the model.
-- bytes: the token's raw bytes (byte-level BPE tokens may hold part of a UTF-8 character);
-- norm: its text lower-cased and trimmed, for /api/search/tokens.
CREATE TABLE vocab (
    id      INTEGER PRIMARY KEY,
    bytes   BLOB NOT NULL,
    special INTEGER NOT NULL DEFAULT 0,
    norm    TEXT NOT NULL
);
CREATE INDEX vocab_norm ON vocab(norm);

-- One row per latent. hist_counts: u32 per bin, equal-width bins over [hist_min, hist_max]
-- of the latent's positive activations. top_logits, bottom_logits: (u32 token id, f32 value)
-- pairs, strongest first. neighbors: (u32 latent id, f32 cosine) pairs, nearest first.
CREATE TABLE latents (
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
    neighbors      BLOB NOT NULL DEFAULT x''
);
CREATE INDEX latents_density ON latents(density);
CREATE INDEX latents_max_activation ON latents(max_activation);

-- Explanations, any number per latent, one per source ("manual", "auto", a model's name …);
-- re-importing a source replaces its rows. automatic = 1 for generated summaries.
CREATE TABLE explanations (
    id        INTEGER PRIMARY KEY,
    latent_id INTEGER NOT NULL,
    source    TEXT NOT NULL,
    text      TEXT NOT NULL,
    automatic INTEGER NOT NULL DEFAULT 0
);
-- A latent's explanations in preference order (written before automatic), covering the text:
-- a page shows the explanations of a latent and its ten neighbours with one probe each.
-- (latent_id, source) is unique: writing a source again replaces its row.
CREATE INDEX explanations_by_latent ON explanations (latent_id, automatic, source, text);
CREATE UNIQUE INDEX explanations_by_source ON explanations (latent_id, source);

-- Full-text search over explanations, kept in step by the triggers below.
CREATE VIRTUAL TABLE explanations_fts USING fts5(
    text, content = 'explanations', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER explanations_insert AFTER INSERT ON explanations BEGIN
    INSERT INTO explanations_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER explanations_delete AFTER DELETE ON explanations BEGIN
    INSERT INTO explanations_fts(explanations_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER explanations_update AFTER UPDATE ON explanations BEGIN
    INSERT INTO explanations_fts(explanations_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO explanations_fts(rowid, text) VALUES (new.id, new.text);
END;

-- A latent's example snippets, one row per group: group 0 holds the top examples; groups 1, 2, …
-- the activation intervals, highest range first, with the fraction (0…1) of the latent's
-- positive activations the interval contains. The rowid is latent_id × 64 + grp, so a latent's
-- groups are adjacent rows found with one B-tree descent (a page shows them all at once).
-- examples: the group's `count` snippets back to back, each:
--   u32 document, u32 position (of its first token in the document), u32 n,
--   n × u32 token ids, n × f32 this latent's activation at each token.
CREATE TABLE example_groups (
    id        INTEGER PRIMARY KEY,
    latent_id INTEGER NOT NULL,
    grp       INTEGER NOT NULL CHECK (grp >= 0 AND grp < 64),
    min       REAL NOT NULL,
    max       REAL NOT NULL,
    contains  REAL NOT NULL,
    count     INTEGER NOT NULL,
    examples  BLOB NOT NULL,
    CHECK (id = latent_id * 64 + grp)
);

-- For each vocabulary token, the latents that fire on it, strongest (by mean) first.
CREATE TABLE token_latents (
    token_id        INTEGER NOT NULL,
    rank            INTEGER NOT NULL,
    latent_id       INTEGER NOT NULL,
    count           INTEGER NOT NULL,
    mean_activation REAL NOT NULL,
    max_activation  REAL NOT NULL,
    PRIMARY KEY (token_id, rank)
) WITHOUT ROWID;
