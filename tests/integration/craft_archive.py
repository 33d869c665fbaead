#!/usr/bin/python3
"""Hostile and edge-case mongodump archives for the tests, written here byte by byte (not with
mongobak's code), so that they can be fed to mongobak and to the real mongorestore alike.

Usage: craft_archive.py KIND OUT [N] [DB]   (DB: database of the regular namespaces, default
"crafted"). Prints "name=value" lines about what it wrote (deep: the byte offset of the deep
document).

KIND                  what the archive holds
deep N                DB.deep: {_id: 1}, then N documents nested in one another ({a: {a: ...}},
                      N + 1 levels in all; offset: where it starts), then DB.after
namespaces N          N empty collections DB.c0 .. DB.c<N-1>, one after the other
escape                a collection whose name holds terminal escape sequences and a newline
                      (offset: its document)
bad-json              DB.bad with metadata that is not Extended JSON
interleave N          concurrent_collections 1, N namespaces open at once
duplicate             DB.dup listed twice in the prelude (different indexes), one data stream
oplog-first           the oplog's blocks before DB.after's
relaxed-date          DB.rd with a relaxed {"$date": "..."} in its metadata (a partial index)
bad-version           server_version "unknown"
top-level             an entry with db "" that is not the oplog
dotted-db             an entry with db "DB.sub" and collection "c"
"""
import json
import struct
import sys

import bson
from bson.int64 import Int64

POLY = 0xC96C5795D7870F42
TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ POLY if _c & 1 else _c >> 1
    TABLE.append(_c)
TERM = b"\xff\xff\xff\xff"


def crc64(data, crc=0):
    crc ^= 0xFFFFFFFFFFFFFFFF
    for b in data:
        crc = TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFFFFFFFFFF


def meta(coll, indexes=(), options=None):
    m = {}
    if options:
        m["options"] = options
    m["indexes"] = [{"v": {"$numberInt": "2"}, "key": {"_id": {"$numberInt": "1"}}, "name": "_id_"}]
    m["indexes"] += list(indexes)
    m["collectionName"] = coll
    m["type"] = "collection"
    return json.dumps(m, separators=(",", ":"))


class Archive:
    def __init__(self, concurrent=4, server_version="7.0.14"):
        self.out = bytearray(struct.pack("<I", 0x8199E26D))
        self.out += bson.encode({"concurrent_collections": concurrent, "version": "0.1",
                                 "server_version": server_version, "tool_version": "crafted"})
        self.crc = {}
        self.marks = {}

    def entry(self, db, coll, metadata=None, typ="collection"):
        if metadata is None:
            metadata = meta(coll) if db else ""
        self.out += bson.encode({"db": db, "collection": coll, "metadata": metadata, "size": 0,
                                 "type": typ})

    def end_prelude(self):
        self.out += TERM

    def header(self, db, coll, eof):
        crc = self.crc.get((db, coll), 0) if eof else 0
        crc = crc - (1 << 64) if crc >= 1 << 63 else crc
        self.out += bson.encode({"db": db, "collection": coll, "EOF": eof, "CRC": Int64(crc)})

    def segment(self, db, coll, docs):
        """A segment of raw BSON documents (bytes) or dicts; the offset of the last document
        given as bytes is kept as marks["offset"]."""
        self.header(db, coll, False)
        for d in docs:
            if isinstance(d, (bytes, bytearray)):
                self.marks["offset"] = len(self.out)
            raw = d if isinstance(d, (bytes, bytearray)) else bson.encode(d)
            self.crc[(db, coll)] = crc64(raw, self.crc.get((db, coll), 0))
            self.out += raw
        self.out += TERM

    def eof(self, db, coll):
        self.header(db, coll, True)
        self.out += TERM

    def namespace(self, db, coll, docs=()):
        self.segment(db, coll, docs)
        self.eof(db, coll)


def nested(levels):
    """{a: {a: ... {} ...}} with `levels` embedded documents below the top one, built without
    recursion."""
    heads = [struct.pack("<i", 5 + 8 * k) + b"\x03a\x00" for k in range(levels, 0, -1)]
    return b"".join(heads) + b"\x05\x00\x00\x00\x00" + b"\x00" * levels


def build(kind, args, db):
    if kind == "deep":
        a = Archive()
        a.entry(db, "deep")
        a.entry(db, "after")
        a.end_prelude()
        a.segment(db, "deep", [{"_id": 1}])
        a.segment(db, "deep", [nested(int(args[0]))])
        a.eof(db, "deep")
        a.namespace(db, "after", [{"_id": 1}])
        return a
    if kind == "namespaces":
        n = int(args[0])
        a = Archive()
        for i in range(n):
            a.entry(db, "c%d" % i, metadata="")
        a.end_prelude()
        for i in range(n):
            a.namespace(db, "c%d" % i)
        return a
    if kind == "escape":
        a = Archive()
        name = "ev\x1b[31mil\x1b]0;pwned\x07\nnext\x7f"
        a.entry(db, name)
        a.end_prelude()
        a.namespace(db, name, [bson.encode({"_id": 1})])  # offset: its document
        return a
    if kind == "bad-json":
        a = Archive()
        a.entry(db, "good")
        a.entry(db, "bad", metadata='{"indexes":[{"v":2,"key":{"_id":1},"name":"_id_"}],')
        a.end_prelude()
        a.namespace(db, "good", [{"_id": 1}])
        a.namespace(db, "bad", [{"_id": 1}])
        return a
    if kind == "interleave":
        n = int(args[0])
        a = Archive(concurrent=1)
        for i in range(n):
            a.entry(db, "i%d" % i)
        a.end_prelude()
        for i in range(n):
            a.segment(db, "i%d" % i, [{"_id": i, "part": 1}])
        for i in range(n):
            a.segment(db, "i%d" % i, [{"_id": i + 100, "part": 2}])
            a.eof(db, "i%d" % i)
        return a
    if kind == "duplicate":
        a = Archive()
        a.entry(db, "dup", metadata=meta("dup", [{"v": 2, "key": {"first": 1}, "name": "first_1"}]))
        a.entry(db, "dup", metadata=meta("dup", [{"v": 2, "key": {"second": 1}, "name": "second_1"}]))
        a.end_prelude()
        a.namespace(db, "dup", [{"_id": 1, "first": 1, "second": 2}])
        return a
    if kind == "oplog-first":
        a = Archive()
        a.entry(db, "after")
        a.entry("", "oplog", typ="")
        a.end_prelude()
        a.namespace("", "oplog", [{"ts": 1, "op": "n", "o": {}}])
        a.namespace(db, "after", [{"_id": 1}])
        return a
    if kind == "relaxed-date":
        a = Archive()
        idx = {"v": 2, "key": {"t": 1}, "name": "t_1",
               "partialFilterExpression": {"t": {"$gt": {"$date": "2024-01-01T00:00:00Z"}}}}
        a.entry(db, "rd", metadata=meta("rd", [idx]))
        a.end_prelude()
        a.namespace(db, "rd", [{"_id": 1}])
        return a
    if kind == "bad-version":
        a = Archive(server_version="unknown")
        a.entry(db, "bv")
        a.end_prelude()
        a.namespace(db, "bv", [{"_id": 1}])
        return a
    if kind == "top-level":
        a = Archive()
        a.entry(db, "kept")
        a.entry("", "stray", metadata="")
        a.end_prelude()
        a.namespace(db, "kept", [{"_id": 1}])
        a.namespace("", "stray", [{"_id": 1}])
        return a
    if kind == "dotted-db":
        a = Archive()
        a.entry(db + ".sub", "c")
        a.end_prelude()
        a.namespace(db + ".sub", "c", [{"_id": 1}])
        return a
    raise SystemExit("unknown kind %s" % kind)


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    kind, out = sys.argv[1], sys.argv[2]
    rest = sys.argv[3:]
    nargs = 1 if kind in ("deep", "namespaces", "interleave") else 0
    db = rest[nargs] if len(rest) > nargs else "crafted"
    a = build(kind, rest[:nargs], db)
    with open(out, "wb") as f:
        f.write(a.out)
    for k, v in a.marks.items():
        print("%s=%s" % (k, v))


if __name__ == "__main__":
    main()
