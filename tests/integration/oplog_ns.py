"""The oplog namespace of an uncompressed mongodump archive (docs/archive-format.md): its
prelude entry and its documents, byte for byte, for comparing mongobak's archive with
mongodump's.

  oplog_ns.py ARCHIVE OUT.bson   writes the oplog's documents, concatenated, to OUT.bson and
                                 prints one JSON line: the prelude's oplog entry (every field,
                                 in order), the server version, the number of entries, the
                                 order of the namespaces' blocks and whether the oplog is last
"""
import json
import struct
import sys

import bson


def main():
    raw = open(sys.argv[1], "rb").read()
    if struct.unpack_from("<I", raw, 0)[0] != 0x8199E26D:
        sys.exit("%s: not an uncompressed archive (magic)" % sys.argv[1])
    pos = 4

    def doc():
        nonlocal pos
        n = struct.unpack_from("<i", raw, pos)[0]
        if n == -1:
            pos += 4
            return None
        d = raw[pos:pos + n]
        pos += n
        return d

    header = bson.decode(doc(), codec_options=bson.CodecOptions(document_class=bson.SON))
    prelude = []
    while True:
        d = doc()
        if d is None:
            break
        prelude.append(bson.decode(d, codec_options=bson.CodecOptions(document_class=bson.SON)))
    blocks, entries = [], []
    while pos < len(raw):
        h = bson.decode(doc())
        key = (h["db"], h["collection"])
        if not blocks or blocks[-1] != key:
            blocks.append(key)
        while True:
            d = doc()
            if d is None:
                break
            if key == ("", "oplog"):
                entries.append(d)
    with open(sys.argv[2], "wb") as f:
        f.write(b"".join(entries))
    op = [p for p in prelude if p.get("db") == "" and p.get("collection") == "oplog"]
    print(json.dumps({
        "prelude_oplog": [list(p.items()) for p in op],
        "prelude_oplog_is_last": bool(prelude) and prelude[-1].get("collection") == "oplog"
                                 and prelude[-1].get("db") == "",
        "server_version": header.get("server_version"),
        "entries": len(entries),
        "oplog_last": bool(blocks) and blocks[-1] == ("", "oplog"),
        "oplog_blocks": sum(1 for b in blocks if b == ("", "oplog")),
    }, default=str))


main()
