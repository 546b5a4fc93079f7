"""berth's allocation, for one batch, written in Python over SQLite: the floor of
bench/batch_bench.sh.

    python3 bench/sqlite_allocator.py BATCH.json DB FIRST LAST EXCLUDED(comma-separated)

Each app of the batch, in one transaction: kept if it is already there, else the lowest free
slot of a one-port pool FIRST-LAST whose port is not excluded, and a project name made from the
model (lower case, runs of other characters as one '-') and the app number; the ports and names
are unique indexes, as berth's are.
"""
import json
import re
import sqlite3
import sys
import time

batch, path, first, last = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
excluded = {int(p) for p in sys.argv[5].split(",") if p}
db = sqlite3.connect(path, isolation_level=None)
db.executescript("""
CREATE TABLE apps (model TEXT, app INTEGER, slot INTEGER UNIQUE, port INTEGER UNIQUE,
                   project TEXT UNIQUE, created INTEGER, PRIMARY KEY (model, app));
CREATE TABLE holes (slot INTEGER PRIMARY KEY);
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER);
INSERT INTO meta VALUES ('high', 0);
""")
now = int(time.time())
db.execute("BEGIN")
for entry in json.load(open(batch)):
    model, app = entry["model"], entry["app"]
    if db.execute("SELECT 1 FROM apps WHERE model = ? AND app = ?", (model, app)).fetchone():
        continue
    hole = db.execute("SELECT min(slot) FROM holes").fetchone()[0]
    slot = hole if hole is not None else db.execute("SELECT value FROM meta WHERE key = 'high'").fetchone()[0]
    while first + slot in excluded:
        slot += 1
    if first + slot > last:
        sys.exit(f"pool full at {model} app {app}")
    project = re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-") + f"-app{app}"
    db.execute("INSERT INTO apps VALUES (?, ?, ?, ?, ?, ?)", (model, app, slot, first + slot, project, now))
    if hole is not None:
        db.execute("DELETE FROM holes WHERE slot = ?", (hole,))
    else:
        db.execute("UPDATE meta SET value = ? WHERE key = 'high'", (slot + 1,))
db.execute("COMMIT")
