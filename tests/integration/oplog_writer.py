#!/usr/bin/python3
"""A concurrent writer for test_oplog.sh: inserts, deletes and updates ($set, $unset, $inc, and
replacements) on DB.c1 and DB.c2 in a loop until SIGTERM; it finishes the operation in progress,
prints how many it did, and exits 0.

Usage: oplog_writer.py URI DB SEED [FIRST_ID]  (inserted _ids from FIRST_ID + 1; default 1000000:
a writer restarted on the same database gives a larger one)"""
import random
import signal
import sys

import pymongo

uri, dbname, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = random.Random(seed)
db = pymongo.MongoClient(uri)[dbname]
stop = False


def on_term(signum, frame):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)
first = int(sys.argv[4]) if len(sys.argv) > 4 else 1_000_000
next_id = {"c1": first, "c2": first}
ops = 0
while not stop:
    name = rng.choice(["c1", "c2"])
    coll = db[name]
    r = rng.random()
    some = rng.randrange(0, 2000)
    if r < 0.35:
        next_id[name] += 1
        coll.insert_one({"_id": next_id[name], "v": rng.randrange(1000), "s": "w%d" % ops,
                         "sub": {"a": rng.randrange(10), "l": [1, 2, 3]}})
    elif r < 0.5:
        coll.delete_one({"_id": some})
    elif r < 0.75:
        coll.update_one({"_id": some}, {"$set": {"v": rng.randrange(1000), "sub.a": ops},
                                        "$inc": {"n": 1}})
    elif r < 0.85:
        coll.update_one({"_id": some}, {"$unset": {"s": ""}})
    else:
        coll.replace_one({"_id": some}, {"replaced": ops, "v": -1})
    ops += 1
print(ops)
