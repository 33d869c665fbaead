#include "notify/mime.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define QP_LINE 76    /* RFC 2045: at most 76 characters per encoded line */
#define WORD_BYTES 39 /* bytes of text per encoded-word: 52 base64 + 12 = 64 characters */
#define FOLD_AT 78

static bool put(mb_buf_t *b, const char *s, mb_error_t *err)
{
   return mb_buf_append(b, s, strlen(s), err);
}

static bool has_line_break(const char *s)
{
   return strchr(s, '\r') || strchr(s, '\n');
}

void mb_mime_base64(const void *data, size_t n, char *out)
{
   static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
   const uint8_t *p = data;
   size_t o = 0;

   for (size_t i = 0; i < n; i += 3) {
      uint32_t v = (uint32_t) p[i] << 16;
      if (i + 1 < n) {
         v |= (uint32_t) p[i + 1] << 8;
      }
      if (i + 2 < n) {
         v |= p[i + 2];
      }
      out[o++] = tab[v >> 18 & 63];
      out[o++] = tab[v >> 12 & 63];
      out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
      out[o++] = i + 2 < n ? tab[v & 63] : '=';
   }
   out[o] = '\0';
}

void mb_mime_date(int64_t t, char *buf, size_t size)
{
   static const char *days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
   static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
   time_t tt = (time_t) t;
   struct tm tm;

   gmtime_r(&tt, &tm);
   snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
            months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void random_bytes(void *p, size_t n)
{
   if (getrandom(p, n, 0) != (ssize_t) n) {
      /* no entropy source: uniqueness still comes from the time and the address */
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      memset(p, 0, n);
      memcpy(p, &ts.tv_nsec, n < sizeof ts.tv_nsec ? n : sizeof ts.tv_nsec);
   }
}

void mb_mime_message_id(int64_t t, const char *domain, char *buf, size_t size)
{
   uint64_t r;

   random_bytes(&r, sizeof r);
   snprintf(buf, size, "<%lld.%016llx@%s>", (long long) t, (unsigned long long) r,
            domain && *domain ? domain : "localhost");
}

void mb_mime_boundary(char *buf, size_t size)
{
   uint8_t r[12];
   char hex[25];

   random_bytes(r, sizeof r);
   for (size_t i = 0; i < sizeof r; i++) {
      snprintf(hex + 2 * i, 3, "%02x", r[i]);
   }
   snprintf(buf, size, "=_mongobak_%s", hex);
}

static void trim_copy(const char *s, size_t len, char *out, size_t size)
{
   while (len && (*s == ' ' || *s == '\t')) {
      s++;
      len--;
   }
   while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) {
      len--;
   }
   if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
      s++;
      len -= 2;
   }
   snprintf(out, size, "%.*s", (int) len, s);
}

bool mb_mime_parse_mailbox(const char *s, char *name, size_t name_size, char *addr,
                           size_t addr_size, mb_error_t *err)
{
   const char *lt = strchr(s, '<'), *gt = lt ? strchr(lt, '>') : NULL;
   const char *at;

   name[0] = '\0';
   if (lt && (!gt || gt[1 + strspn(gt + 1, " \t")] != '\0')) {
      mb_error_set(err, MB_EXIT_USAGE, "'%s' is not an email address ('<' without '>' last)", s);
      return false;
   }
   if (lt) {
      trim_copy(s, (size_t) (lt - s), name, name_size);
      trim_copy(lt + 1, (size_t) (gt - lt - 1), addr, addr_size);
   } else {
      trim_copy(s, strlen(s), addr, addr_size);
   }
   at = strchr(addr, '@');
   if (!at || at == addr || at[1] == '\0' || strchr(at + 1, '@') ||
       strpbrk(addr, " \t\r\n<>,;\"()") || has_line_break(name)) {
      mb_error_set(err, MB_EXIT_USAGE, "'%s' is not an email address", s);
      return false;
   }
   return true;
}

static bool is_plain_ascii(const char *s)
{
   for (; *s; s++) {
      if ((unsigned char) *s < 0x20 || (unsigned char) *s > 0x7e) {
         return false;
      }
   }
   return true;
}

/* Append the n bytes of unit at column *col, first ending the line with brk when wrap is set;
 * *col follows. Header folding and quoted-printable soft breaks both write this way. */
static bool append_wrapped(mb_buf_t *out, const char *unit, size_t n, bool wrap, const char *brk,
                           size_t *col, mb_error_t *err)
{
   if (wrap) {
      if (!put(out, brk, err)) {
         return false;
      }
      *col = 0;
   }
   if (!mb_buf_append(out, unit, n, err)) {
      return false;
   }
   *col += n;
   return true;
}

/* Printable ASCII, folded before a blank when the line would pass 78 columns. */
static bool append_folded(mb_buf_t *out, const char *s, size_t used, mb_error_t *err)
{
   size_t col = used;

   while (*s) {
      size_t word = strcspn(s + 1, " ") + 1; /* a blank and the word after it */
      bool wrap = *s == ' ' && col + word > FOLD_AT && col > used;
      if (!append_wrapped(out, s, word, wrap, "\r\n", &col, err)) {
         return false;
      }
      s += word;
   }
   return true;
}

/* Length of the longest prefix of s, at most max bytes, that ends on a UTF-8 boundary. */
static size_t utf8_prefix(const char *s, size_t len, size_t max)
{
   size_t n = len < max ? len : max;

   while (n < len && n > 0 && ((unsigned char) s[n] & 0xC0) == 0x80) {
      n--;
   }
   return n ? n : (len < max ? len : max);
}

bool mb_mime_append_header_text(mb_buf_t *out, const char *s, size_t used, mb_error_t *err)
{
   size_t len = strlen(s), off = 0;

   if (has_line_break(s)) {
      mb_error_set(err, MB_EXIT_USAGE, "a header value holds a line break");
      return false;
   }
   if (is_plain_ascii(s)) {
      return append_folded(out, s, used, err);
   }
   while (off < len) {
      size_t n = utf8_prefix(s + off, len - off, WORD_BYTES);
      char b64[WORD_BYTES / 3 * 4 + 8];
      mb_mime_base64(s + off, n, b64);
      if ((off > 0 && !put(out, "\r\n ", err)) || !put(out, "=?UTF-8?B?", err) ||
          !put(out, b64, err) || !put(out, "?=", err)) {
         return false;
      }
      off += n;
   }
   return true;
}

bool mb_mime_append_qp(mb_buf_t *out, const char *s, mb_error_t *err)
{
   static const char hex[] = "0123456789ABCDEF";
   size_t col = 0;

   for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
      char unit[4];
      size_t n;
      bool eol = p[1] == '\n' || (p[1] == '\r' && p[2] == '\n') || p[1] == '\0';

      if (*p == '\r' && p[1] == '\n') {
         continue;
      }
      if (*p == '\n') {
         if (!put(out, "\r\n", err)) {
            return false;
         }
         col = 0;
         continue;
      }
      if ((*p >= 33 && *p <= 126 && *p != '=') || ((*p == ' ' || *p == '\t') && !eol)) {
         unit[0] = (char) *p;
         n = 1;
      } else {
         unit[0] = '=';
         unit[1] = hex[*p >> 4];
         unit[2] = hex[*p & 15];
         n = 3;
      }
      /* a soft break keeps every line within 76 characters, the "=" included */
      if (!append_wrapped(out, unit, n, col + n > QP_LINE - (eol ? 0 : 1), "=\r\n", &col, err)) {
         return false;
      }
   }
   return true;
}

static bool append_from(mb_buf_t *out, const char *from, mb_error_t *err)
{
   char name[256], addr[320];

   if (!mb_mime_parse_mailbox(from, name, sizeof name, addr, sizeof addr, err) ||
       !put(out, "From: ", err)) {
      return false;
   }
   if (*name) {
      bool quote = is_plain_ascii(name) && strpbrk(name, "()<>[]:;@\\,.\"");
      if (quote) {
         if (!put(out, "\"", err)) {
            return false;
         }
         for (const char *p = name; *p; p++) {
            if ((*p == '"' || *p == '\\') && !put(out, "\\", err)) {
               return false;
            }
            if (!mb_buf_append(out, p, 1, err)) {
               return false;
            }
         }
         if (!put(out, "\"", err)) {
            return false;
         }
      } else if (!mb_mime_append_header_text(out, name, 6, err)) {
         return false;
      }
      if (!put(out, " ", err)) {
         return false;
      }
   }
   return mb_buf_printf(out, err, "<%s>\r\n", addr);
}

static bool append_to(mb_buf_t *out, const mb_mime_msg_t *m, mb_error_t *err)
{
   size_t col = 4;

   if (!put(out, "To: ", err)) {
      return false;
   }
   for (size_t i = 0; i < m->nto; i++) {
      size_t n = strlen(m->to[i]);
      if (has_line_break(m->to[i])) {
         mb_error_set(err, MB_EXIT_USAGE, "a recipient holds a line break");
         return false;
      }
      if (i > 0 && !put(out, col + n + 2 > FOLD_AT ? ",\r\n " : ", ", err)) {
         return false;
      }
      col = i > 0 && col + n + 2 > FOLD_AT ? 1 + n : col + n + 2;
      if (!put(out, m->to[i], err)) {
         return false;
      }
   }
   return put(out, "\r\n", err);
}

static bool append_part(mb_buf_t *out, const char *boundary, const char *type, const char *body,
                        mb_error_t *err)
{
   return mb_buf_printf(out, err,
                        "--%s\r\nContent-Type: %s; charset=utf-8\r\n"
                        "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                        boundary, type) &&
          mb_mime_append_qp(out, body, err) && put(out, "\r\n", err);
}

bool mb_mime_build(const mb_mime_msg_t *m, mb_buf_t *out, mb_error_t *err)
{
   char date[64];

   if (has_line_break(m->message_id) || has_line_break(m->boundary)) {
      mb_error_set(err, MB_EXIT_USAGE, "a header value holds a line break");
      return false;
   }
   mb_mime_date(m->date, date, sizeof date);
   return mb_buf_printf(out, err, "Date: %s\r\n", date) && append_from(out, m->from, err) &&
          append_to(out, m, err) && put(out, "Subject: ", err) &&
          mb_mime_append_header_text(out, m->subject, 9, err) &&
          mb_buf_printf(out, err,
                        "\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n"
                        "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n"
                        "Auto-Submitted: auto-generated\r\n"
                        "X-Mailer: mongobak " MONGOBAK_VERSION "\r\n\r\n"
                        "This is a multi-part message in MIME format.\r\n\r\n",
                        m->message_id, m->boundary) &&
          append_part(out, m->boundary, "text/plain", m->text, err) &&
          append_part(out, m->boundary, "text/html", m->html, err) &&
          mb_buf_printf(out, err, "--%s--\r\n", m->boundary);
}
