-- Every import attempt, whatever came of it (import_run holds only imports that changed
-- something, for provenance). Imports run in other processes (the CLI), so the server's metrics
-- count runs, durations and failures from here. No file names or messages: counts and times only.
CREATE TABLE import_attempt (
  pk         INTEGER PRIMARY KEY,
  format     TEXT NOT NULL,
  started_at TEXT NOT NULL,
  seconds    REAL NOT NULL,
  -- changed: written; unchanged: the same content again; refused: bad input (nothing written);
  -- failed: any other error (nothing written)
  outcome    TEXT NOT NULL CHECK (outcome IN ('changed', 'unchanged', 'refused', 'failed'))
);
