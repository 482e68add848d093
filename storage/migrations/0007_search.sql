-- Finding services by name (storage/search.py).

-- The name as search compares it: lower case, no accents, only letters and digits
-- ("youtube views non drop fast hq"). The catalog sync writes it with the name, folded in
-- Python; until the next sync (at start) existing rows get SQLite's lower() of their name.
ALTER TABLE services ADD COLUMN search_name TEXT NOT NULL DEFAULT '';
UPDATE services SET search_name = lower(name);

-- optional: the index below needs FTS5's trigram tokenizer (SQLite 3.34+). Where it is
-- missing this part is skipped, and search reads services.search_name row by row instead.

-- Every run of three characters of every search_name: a word of a query is found without
-- reading each name. Kept in step with services by the triggers, in the same transaction.
CREATE VIRTUAL TABLE service_search USING fts5 (search_name, tokenize = 'trigram');
INSERT INTO service_search (rowid, search_name) SELECT id, search_name FROM services;

CREATE TRIGGER service_search_insert AFTER INSERT ON services
BEGIN
    INSERT INTO service_search (rowid, search_name) VALUES (new.id, new.search_name);
END;

CREATE TRIGGER service_search_update AFTER UPDATE OF search_name ON services
WHEN old.search_name IS NOT new.search_name
BEGIN
    DELETE FROM service_search WHERE rowid = old.id;
    INSERT INTO service_search (rowid, search_name) VALUES (new.id, new.search_name);
END;

CREATE TRIGGER service_search_delete AFTER DELETE ON services
BEGIN
    DELETE FROM service_search WHERE rowid = old.id;
END;
