"""How ``store_v1.db`` was made: a ``SqliteStore`` file written by actorgraph at commit 28b5310
(store schema version 1, before the time-to-live columns of version 2), then checkpointed:

    PYTHONPATH=<a checkout of 28b5310> python tests/data/make_store_v1.py store_v1.db

``tests/test_store_ttl.py`` opens a copy with today's code: it reads back identically, its
items never expire, and the file is migrated to version 2.
"""
import sqlite3, sys
from actorgraph.persistence import SqliteStore

def main(path):
    embed = lambda texts: [[float(t.count("cat")), float(t.count("dog"))] for t in texts]
    with SqliteStore.from_conn_string(path, index={"dims": 2, "embed": embed, "fields": ["text"]}) as s:
        s.put(("users", "u1"), "prefs", {"text": "cat person", "n": 1})
        s.put(("users", "u2"), "prefs", {"text": "dog person", "n": 2})
        s.put(("users", "u1"), "notes", {"text": "a cat and a dog", "n": 3})
        s.put(("docs",), "readme", {"text": "no pets", "n": 4})
        s.put(("users", "u1"), "prefs", {"text": "cat person", "n": 5})  # replaced: keeps created_at
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()

main(sys.argv[1])
