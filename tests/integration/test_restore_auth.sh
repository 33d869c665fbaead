#!/usr/bin/env bash
# mongobak restore against a server with SCRAM users: a wrong password or no credentials end
# with one line and exit 7 (the password never shown); users from a full dump's
# admin.system.users are restored (FerretDB has no _mergeAuthzCollections, so they go straight
# into admin.system.users) and can log in again with their own passwords.
. "$(dirname "$0")/lib.sh"
root="$MB_SOURCE_DIR"

adir="$T/authsrv"
auri=$("$root/tools/ferretdb.sh" start "$adir" --test-enable-new-auth --setup-username=admin \
       --setup-password=rightpw --setup-database=admin)
trap '"$root/tools/ferretdb.sh" stop "$adir"; rm -rf "$T"' EXIT
hp=${auri#mongodb://}; hp=${hp%/}
ADMIN="mongodb://admin:rightpw@$hp/?authSource=admin"

py() { /usr/bin/python3 -c "import sys, pymongo
$1" "${@:2}"; }

# a user of appdb with its own password, and some data
py 'c = pymongo.MongoClient(sys.argv[1])
c.appdb.command("createUser", "bob", pwd="bobpw", roles=[])
c.appdb.things.insert_many([{"_id": i, "v": "x" * i} for i in range(10)])' "$ADMIN"
mongodump --uri "$ADMIN" --archive="$T/full.archive" --quiet
"$MB_BIN" inspect "$T/full.archive" | grep -q "^admin.system.users" || fail "the dump has no admin.system.users"
pass "full dump holds admin.system.users"

# --- authentication failures
run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore -a "$T/full.archive" \
  --uri "mongodb://admin:wrongpw@$hp/?authSource=admin&serverSelectionTimeoutMS=3000"
expect_rc 7 "$rc" "wrong password"
expect_grep "^mongobak restore: error: .*Authentication failed" "$T/r.err" "wrong password: message"
one_error_line "$T/r.err" "wrong password"
grep -q wrongpw "$T/r.err" "$T/r.out" && fail "wrong password: the password appears"
pass "wrong password: masked"
expect_grep "^[a-z].* +0 +0 +0 +0  not reached$" "$T/r.out" "wrong password: summary says nothing was restored"
run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore -a "$T/full.archive" \
  --uri "mongodb://$hp/?serverSelectionTimeoutMS=3000"
expect_rc 7 "$rc" "no credentials"
one_error_line "$T/r.err" "no credentials"

# --- users: drop bob and his data, restore, and bob logs in again
py 'c = pymongo.MongoClient(sys.argv[1]); c.appdb.command("dropUser", "bob"); c.drop_database("appdb")' "$ADMIN"
run_cmd "$T/r.json" "$T/r.err" rc -- "$MB_BIN" restore --uri "$ADMIN" -a "$T/full.archive" --drop --json
expect_rc 0 "$rc" "restore of users with --drop"
py 'import json
r = json.load(open(sys.argv[1])); ns = {n["source"]: n for n in r["namespaces"]}
u = ns["admin.system.users"]
assert (u["type"], u["status"], u["documents_restored"]) == ("users", "ok", 2), u
assert ns["appdb.things"]["documents_restored"] == 10, ns["appdb.things"]' "$T/r.json" || fail "users: report"
pass "users: admin.system.users restored (2 users), appdb.things restored"
py 'c = pymongo.MongoClient(sys.argv[1], authSource="appdb", serverSelectionTimeoutMS=3000)
assert c.appdb.command("connectionStatus")["authInfo"]["authenticatedUsers"][0]["user"] == "bob"
print("bob logged in")' "mongodb://bob:bobpw@$hp/" || fail "bob cannot log in after the restore"
pass "users: bob logs in with his password"
# without --drop the users exist already: duplicates, exit 9, nothing changed
run_cmd "$T/r.out" "$T/r.err" rc -- "$MB_BIN" restore --uri "$ADMIN" -a "$T/full.archive" --ns-include 'admin.*'
expect_rc 9 "$rc" "users restored again without --drop"
expect_grep "^admin\.system\.users +admin\.system\.users +0 +2 +0 +0  partial" "$T/r.out" "users again: 2 duplicates"
