#!/usr/bin/env bash
# Email notifications against a real SMTP server (aiosmtpd) on loopback: plain, STARTTLS with a
# self-signed certificate, implicit TLS, AUTH PLAIN and LOGIN; the received message is parsed
# and checked; credentials are never sent in clear unless allowed; no secret leaks.
. "$(dirname "$0")/servers/notify_lib.sh"

command -v openssl >/dev/null || fail "openssl is needed to make the test certificate"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
PASSWORD='Pw-9f3a7c1e-s3cret'
RCPTS='ops@example.com, Team <team@example.org>'

# check_message DIR N KIND [SUBJECT]: parse DIR/msg-N.eml and check it (KIND success|failure).
check_message() {
  "$PY" - "$1" "$2" "$3" "${4:-}" <<'PY'
import email, email.policy, json, re, sys
from email.utils import parsedate_to_datetime
d, n, kind, want_subject = sys.argv[1:5]
raw = open("%s/msg-%s.eml" % (d, n), "rb").read()
meta = json.load(open("%s/msg-%s.json" % (d, n)))
def check(cond, what):
    if not cond:
        sys.exit("FAIL: %s" % what)
check(b"\n" not in raw.replace(b"\r\n", b""), "every line ends with CRLF")
m = email.message_from_bytes(raw, policy=email.policy.default)
check(meta["rcpt_tos"] == ["ops@example.com", "team@example.org"], "recipients %r" % meta["rcpt_tos"])
check(meta["mail_from"] == "backup@example.com", "envelope sender %r" % meta["mail_from"])
check(m["From"].addresses[0].addr_spec == "backup@example.com", "From %s" % m["From"])
check(m["From"].addresses[0].display_name == "Sauvegardes Hôte", "From name %s" % m["From"])
check([a.addr_spec for a in m["To"].addresses] == ["ops@example.com", "team@example.org"], "To")
subject = str(m["Subject"])
if want_subject:
    check(subject == want_subject, "subject %r, expected %r" % (subject, want_subject))
elif kind == "success":
    check(re.match(r"^\[test\] mongobak: backup succeeded on \S+ \(52\.0 MB, 41\.8 s\)$", subject), "subject %r" % subject)
else:
    check(re.match(r"^\[test\] mongobak: backup FAILED at dump on \S+$", subject), "subject %r" % subject)
check(parsedate_to_datetime(m["Date"]) is not None, "Date")
check(re.match(r"^<\d+\.[0-9a-f]{16}@example\.com>$", m["Message-ID"]), "Message-ID %s" % m["Message-ID"])
check(m.get_content_type() == "multipart/alternative", "type %s" % m.get_content_type())
parts = list(m.iter_parts())
check([p.get_content_type() for p in parts] == ["text/plain", "text/html"], "parts")
text, html = parts[0].get_content(), parts[1].get_content()
if kind == "success":
    for s in ["Status:      success", "Archive:     backup-2024-01-08-00-00-00.archive.zst",
              "Size:        52.0 MB (zstd, ratio 4.35)", "Documents:   1,005,300 in 3 collections",
              "  shop.orders: 120,000 documents, 48.0 MB, 21.5 s",
              "  analytics.events: 880,000 documents, 176 MB, 16.0 s",
              "Backups kept:     7 (364 MB)", "success rate 97.6%", "Europe/Paris"]:
        check(s in text, "text part holds %r" % s)
    for s in ["<td>shop.orders</td>", "<td align=\"right\">120,000</td>", "#2ECC71",
              "backup-2024-01-08-00-00-00.archive.zst", "97.6%"]:
        check(s in html, "HTML part holds %r" % s)
else:
    for s in ["Status:      failure", "Stage:       dump",
              "Error:       the server went away during the dump of shop.orders (sample report)"]:
        check(s in text, "text part holds %r" % s)
    check("#E74C3C" in html and "<th align=\"left\">Stage</th><td>dump</td>" in html, "HTML failure")
print("ok: message %s: recipients, headers, subject %r, both parts and figures" % (n, subject))
PY
}

common=(ENABLE_EMAIL_NOTIFICATIONS=true SMTP_HOST=127.0.0.1 NOTIFICATION_EMAILS="$RCPTS"
  "SMTP_FROM=Sauvegardes Hôte <backup@example.com>" TIMEZONE=Europe/Paris NOTIFY_TIMEOUT=20)

# 1. plain SMTP, no authentication: success and failure reports, custom non-ASCII subject
start_smtp plain --mode plain
notify "$T/o" "$T/e" rc "${common[@]}" SMTP_PORT="$SMTP_PORT_OF"
expect_rc 0 "$rc" "plain: notify --test"
expect_grep '^email +ok' "$T/o" "plain: email reported ok"
check_message "$T/plain" 1 success
notify "$T/o" "$T/e" rc "${common[@]}" SMTP_PORT="$SMTP_PORT_OF" -- --failure
expect_rc 0 "$rc" "plain: failure report"
check_message "$T/plain" 2 failure
notify "$T/o" "$T/e" rc "${common[@]}" SMTP_PORT="$SMTP_PORT_OF" \
  'EMAIL_SUBJECT=Sauvegarde réussie — {{archive}} ({{documents}} documents)'
expect_rc 0 "$rc" "plain: custom subject"
check_message "$T/plain" 3 success \
  'Sauvegarde réussie — backup-2024-01-08-00-00-00.archive.zst (1,005,300 documents)'
grep -q '^Subject: =?UTF-8?B?' "$T/plain/msg-3.eml" || fail "the non-ASCII subject is not RFC 2047 encoded"
pass "non-ASCII subject encoded as RFC 2047 words"
"$PY" -c 'import json,sys; m=json.load(open(sys.argv[1])); sys.exit(m["tls"])' "$T/plain/msg-1.json" \
  || fail "plain: the server saw TLS"

# custom templates from files
printf 'Backup {{status}}: {{#namespaces}}[{{namespace}}={{documents}}]{{/namespaces}}\n' >"$T/t.txt"
printf '<p>{{title}} &amp; {{error}}</p>\n' >"$T/t.html"
notify "$T/o" "$T/e" rc "${common[@]}" SMTP_PORT="$SMTP_PORT_OF" EMAIL_TEMPLATE_TEXT="$T/t.txt" \
  EMAIL_TEMPLATE_HTML="$T/t.html"
expect_rc 0 "$rc" "template files"
"$PY" - "$T/plain/msg-4.eml" <<'PY' || fail "template files: parts differ"
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
t, h = [p.get_content().replace("\r\n", "\n") for p in m.iter_parts()]
assert t == "Backup success: [shop.orders=120,000][shop.customers=5,300][analytics.events=880,000]\n", repr(t)
assert h.startswith("<p>[test] Backup succeeded &amp; </p>"), repr(h)
PY
pass "template files render both parts"
printf '{{nosuch}}\n' >"$T/bad.txt"
notify "$T/o" "$T/e" rc "${common[@]}" SMTP_PORT="$SMTP_PORT_OF" EMAIL_TEMPLATE_TEXT="$T/bad.txt"
expect_rc 2 "$rc" "bad template"
expect_grep "EMAIL_TEMPLATE_TEXT '$T/bad.txt': line 1: unknown placeholder \{\{nosuch\}\}" "$T/e" \
  "bad template: message names the file, line and placeholder"

# 2. credentials over a server without STARTTLS: refused unless SMTP_ALLOW_INSECURE=true
start_smtp plainauth --mode plain --user backup@example.com --password "$PASSWORD"
notify "$T/o" "$T/e" rc "${common[@]}" SMTP_PORT="$SMTP_PORT_OF" SMTP_USER=backup@example.com \
  SMTP_PASS="$PASSWORD"
expect_rc 9 "$rc" "no STARTTLS: refused"
expect_grep "^email +failed: 127\.0\.0\.1:$SMTP_PORT_OF does not offer STARTTLS; refusing to send the SMTP password in clear" \
  "$T/o" "no STARTTLS: the reason is printed"
expect_grep "error notify: email: not sent .*does not offer STARTTLS" "$T/e" "no STARTTLS: the failure is logged"
[ ! -e "$T/plainauth/auth.jsonl" ] || fail "no STARTTLS: the client sent AUTH anyway"
pass "no STARTTLS: no AUTH command reached the server"
notify "$T/o" "$T/e" rc "${common[@]}" SMTP_PORT="$SMTP_PORT_OF" SMTP_USER=backup@example.com \
  SMTP_PASS="$PASSWORD" SMTP_ALLOW_INSECURE=true
expect_rc 0 "$rc" "no STARTTLS, SMTP_ALLOW_INSECURE=true: sent"
expect_grep '"login": "backup@example.com"' "$T/plainauth/msg-1.json" "insecure: authenticated"

# 3. STARTTLS with a self-signed certificate and AUTH PLAIN
start_smtp starttls --mode starttls --cert "$T/cert.pem" --key "$T/key.pem" \
  --user backup@example.com --password "$PASSWORD" --mech PLAIN
notify "$T/o" "$T/e" rc "${common[@]}" SMTP_PORT="$SMTP_PORT_OF" SMTP_USER=backup@example.com \
  SMTP_PASS="$PASSWORD"
expect_rc 9 "$rc" "STARTTLS, unknown CA"
expect_grep "^email +failed: the certificate of 127\.0\.0\.1 is not trusted .*set SMTP_CA_FILE" "$T/o" \
  "STARTTLS, unknown CA: the reason says to set SMTP_CA_FILE"
notify "$T/o" "$T/e" rc "${common[@]}" SMTP_PORT="$SMTP_PORT_OF" SMTP_USER=backup@example.com \
  SMTP_PASS="$PASSWORD" SMTP_CA_FILE="$T/cert.pem"
expect_rc 0 "$rc" "STARTTLS + AUTH PLAIN"
check_message "$T/starttls" 1 success
expect_grep '"mechanism": "PLAIN", "login": "backup@example.com", "ok": true, "tls": true' \
  "$T/starttls/auth.jsonl" "STARTTLS: AUTH PLAIN after TLS"
expect_grep '"tls": true' "$T/starttls/msg-1.json" "STARTTLS: message sent encrypted"
notify "$T/o" "$T/e" rc "${common[@]}" SMTP_PORT="$SMTP_PORT_OF" SMTP_USER=backup@example.com \
  SMTP_PASS=wrong-password-123 SMTP_CA_FILE="$T/cert.pem"
expect_rc 9 "$rc" "wrong password"
expect_grep "^email +failed: the SMTP server refused the login of 'backup@example.com'" "$T/o" \
  "wrong password: reason"

# 4. implicit TLS (SMTP_SECURE=true) and AUTH LOGIN
start_smtp tls --mode tls --cert "$T/cert.pem" --key "$T/key.pem" --user backup@example.com \
  --password "$PASSWORD" --mech LOGIN
notify "$T/o" "$T/e" rc "${common[@]}" SMTP_PORT="$SMTP_PORT_OF" SMTP_SECURE=true \
  SMTP_USER=backup@example.com SMTP_PASS="$PASSWORD" SMTP_CA_FILE="$T/cert.pem"
expect_rc 0 "$rc" "implicit TLS + AUTH LOGIN"
check_message "$T/tls" 1 success
expect_grep '"mechanism": "LOGIN", "login": "backup@example.com", "ok": true, "tls": true' \
  "$T/tls/auth.jsonl" "implicit TLS: AUTH LOGIN"
# implicit TLS against the STARTTLS server: a clear error, quickly
start_smtp plain2 --mode plain
notify "$T/o" "$T/e" rc "${common[@]}" SMTP_PORT="$SMTP_PORT_OF" SMTP_SECURE=true NOTIFY_TIMEOUT=5
expect_rc 9 "$rc" "implicit TLS against a plain server"
expect_grep "^email +failed: (TLS handshake with 127\.0\.0\.1:$SMTP_PORT_OF failed|no answer from)" "$T/o" \
  "implicit TLS against a plain server: reason"

# 5. no secret in any message, output or log line
expect_no_grep "$PASSWORD" "$T/plain" "$T/plainauth" "$T/starttls" "$T/tls" "$T/all-output" \
  "the SMTP password appears nowhere"
echo "all email notification tests passed"
