#!/usr/bin/python3
"""The writes of mongobak-synth, through pymongo and raw OP_MSG: create, insert (document
sequences and an inline documents array), createIndexes, listIndexes, listCollections,
listDatabases, count, drop, dropDatabase, synthStats (with reset), the framing check of inserted
documents, and --stats-on-exit.

  synth_writes.py MONGOBAK-SYNTH
"""
import json
import socket
import struct
import subprocess
import sys

import bson
import pymongo

failures = 0


def check(what, ok, detail=""):
    global failures
    print("%s: %s%s" % ("ok" if ok else "FAIL", what, "" if ok else " (%s)" % detail))
    failures += 0 if ok else 1


def op_msg(port, sections, request_id=7):
    """Send one OP_MSG (flags 0) made of raw sections; return the reply's body document."""
    body = struct.pack("<I", 0) + b"".join(sections)
    msg = struct.pack("<iiii", 16 + len(body), request_id, 0, 2013) + body
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(msg)
        hdr = b""
        while len(hdr) < 16:
            hdr += s.recv(16 - len(hdr))
        n = struct.unpack("<i", hdr[:4])[0]
        rest = b""
        while len(rest) < n - 16:
            rest += s.recv(n - 16 - len(rest))
    return bson.decode(rest[5:])  # flags (4) and section kind 0 (1)


def seq(ident, docs):
    payload = ident.encode() + b"\0" + b"".join(docs)
    return b"\x01" + struct.pack("<i", 4 + len(payload)) + payload


def main():
    synth = sys.argv[1]
    p = subprocess.Popen([synth, "--port", "0", "--layout", "one", "--docs", "10", "--pages", "1",
                          "--stats-on-exit"], stdout=subprocess.PIPE, text=True)
    info = json.loads(p.stdout.readline())
    port = info["port"]
    try:
        c = pymongo.MongoClient("127.0.0.1", port, directConnection=True, serverSelectionTimeoutMS=10000)
        db = c.restored
        db.create_collection("people", validator={"$jsonSchema": {}})
        try:
            db.command("create", "people")
            check("create of an existing collection fails", False, "no error")
        except pymongo.errors.OperationFailure as e:
            check("create of an existing collection fails with NamespaceExists", e.code == 48, e)
        docs = [{"_id": i, "name": "n%d" % i, "tags": ["a", {"b": i}]} for i in range(1000)]
        db.people.insert_many(docs, ordered=False)  # OP_MSG document sequences
        r = db.command("insert", "events", documents=[{"_id": 1}, {"_id": 2, "x": "y"}])  # inline array
        check("an inline documents array is counted", r.get("n") == 2, r)
        db.people.create_index([("name", 1)], unique=True)
        names = sorted(i["name"] for i in db.people.list_indexes())
        check("listIndexes reflects createIndexes", names == ["_id_", "name_1"], names)
        colls = sorted(db.list_collection_names())
        check("listCollections lists the written collections", colls == ["events", "people"], colls)
        opts = db.people.options()
        check("listCollections keeps create's options", "validator" in opts, opts)
        check("listDatabases lists the written database", "restored" in c.list_database_names(),
              c.list_database_names())
        check("the generated collection is still served", c.bench.command("count", "c0")["n"] == 10)
        n = db.command("count", "people")["n"]
        check("count of a written collection", n == 1000, n)
        want = sum(len(bson.encode(d)) for d in docs)
        st = c.admin.command("synthStats")
        got = {x["ns"]: (x["docs"], x["bytes"], x["invalid"], x["indexes"]) for x in st["namespaces"]}
        check("synthStats counts documents and bytes", got.get("restored.people") == (1000, want, 0, 2), got)
        # a document sequence whose second document's length overruns it: the insert fails whole
        good = bson.encode({"_id": 5})
        bad = struct.pack("<i", 400) + b"\x10a\0\1\0\0\0\0"
        r = op_msg(port, [b"\x00" + bson.encode({"insert": "events", "$db": "restored"}),
                          seq("documents", [good, bad])])
        check("a document with bad framing is refused (InvalidBSON)", r.get("ok") == 0 and r.get("code") == 22, r)
        bad_term = bytearray(bson.encode({"_id": 6}))
        bad_term[-1] = 1
        r = op_msg(port, [b"\x00" + bson.encode({"insert": "events", "$db": "restored"}),
                          seq("documents", [bytes(bad_term)])])
        check("a document without its terminator is refused", r.get("ok") == 0 and r.get("code") == 22, r)
        st = c.admin.command("synthStats")
        ev = [x for x in st["namespaces"] if x["ns"] == "restored.events"][0]
        check("invalid documents are counted, not the insert's others", (ev["docs"], ev["invalid"]) == (2, 2), ev)
        db.events.drop()
        check("drop forgets a collection", sorted(db.list_collection_names()) == ["people"],
              db.list_collection_names())
        c.admin.command("synthStats", reset=True)
        st = c.admin.command("synthStats")
        check("synthStats reset forgets everything", st["docs"] == 0 and st["namespaces"] == [], st)
        db.things.insert_one({"_id": 1})
        c.drop_database("other")
        c.close()
    finally:
        p.terminate()
        rest = p.stdout.read()
        p.wait()
    line = [x for x in rest.splitlines() if x.startswith("{")]
    stats = json.loads(line[0])["synthStats"] if line else None
    check("--stats-on-exit prints the counts", stats is not None and stats["docs"] == 1 and
          stats["namespaces"][0]["ns"] == "restored.things", rest)
    print("synth writes: %d failure(s)" % failures)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
