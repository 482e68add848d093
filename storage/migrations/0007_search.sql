-- Finding services by name (storage/search.py).

-- The name as search compares it: lower case, no accents, only letters and digits
-- ("youtube views non drop fast hq"), folded in Python by the catalog sync, which writes it
-- with the name. '' until then: the sync at start folds every name.
ALTER TABLE services ADD COLUMN search_name TEXT NOT NULL DEFAULT '';

-- optional: the index below needs FTS5's trigram tokenizer (SQLite 3.34+). Where it is
-- missing this part is skipped, and search reads services.search_name row by row instead.

-- Every run of three characters of every search_name (rowid = services.id), so that a word
-- of a query is found without reading each name. The sync writes it in its transaction.
CREATE VIRTUAL TABLE service_search USING fts5 (search_name, tokenize = 'trigram');
