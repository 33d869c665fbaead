#!/usr/bin/python3
"""Independent reader of mongodump archives for the tests (not mongobak's code).

Usage: archive_docs.py ARCHIVE  -> one line per namespace: "db.coll <ndocs> <sha256>", where the
hash covers the namespace's raw BSON documents sorted bytewise (a multiset digest: it does not
depend on document or segment order). gzip and zstd inputs are decompressed with the gzip and
zstd commands."""
import hashlib
import struct
import subprocess
import sys


def raw_bytes(path):
    with open(path, "rb") as f:
        head = f.read(4)
    if head[:2] == b"\x1f\x8b":
        return subprocess.run(["gzip", "-dc", path], check=True, capture_output=True).stdout
    if head == b"\x28\xb5\x2f\xfd":
        return subprocess.run(["zstd", "-dcq", path], check=True, capture_output=True).stdout
    with open(path, "rb") as f:
        return f.read()


def cstring(b, i):
    j = b.index(b"\x00", i)
    return b[i:j].decode(), j + 1


def header_fields(doc):
    """db and collection of a namespace header (strings only; enough for this oracle)."""
    out, i = {}, 4
    while doc[i] != 0:
        t = doc[i]
        key, i = cstring(doc, i + 1)
        if t == 0x02:
            n = struct.unpack_from("<i", doc, i)[0]
            out[key] = doc[i + 4:i + 4 + n - 1].decode()
            i += 4 + n
        elif t == 0x08:
            out[key] = doc[i] == 1
            i += 1
        elif t == 0x12:
            i += 8
        else:
            raise ValueError("unexpected header type %d" % t)
    return out


def main():
    b = raw_bytes(sys.argv[1])
    assert b[:4] == b"\x6d\xe2\x99\x81", "bad magic"
    i, docs, in_prelude, current, first = 4, {}, True, None, True
    while i < len(b):
        n = struct.unpack_from("<I", b, i)[0]
        if n == 0xFFFFFFFF:
            i += 4
            in_prelude, current = False, None
            continue
        doc = b[i:i + n]
        i += n
        if in_prelude:
            continue
        if current is None:
            h = header_fields(doc)
            current = "%s.%s" % (h["db"], h["collection"])
            docs.setdefault(current, [])
        else:
            docs[current].append(doc)
    for ns in sorted(docs):
        h = hashlib.sha256()
        for d in sorted(docs[ns]):
            h.update(d)
        print(ns, len(docs[ns]), h.hexdigest())


main()
