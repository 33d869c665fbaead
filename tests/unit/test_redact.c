/* Masking by parsing: how hostile connection strings and URLs are shown,
 * which secrets they register and in which forms, and the masking of free text. */
#include "common/redact.h"

#include "testutil.h"

#include <ctype.h>

typedef struct {
   const char *uri;
   const char *shown;     /* what mb_redact_uri gives */
   const char *secret[4]; /* what must never be shown, in any form, once registered */
} hostile_t;

static const hostile_t hostile[] = {
    /* malformed schemes: never parsed by the driver */
    {"mongodb:/alice:S3cretPW@host/", "mongodb:/alice:***@host/", {"S3cretPW"}},
    {"alice:S3cretPW@host/", "alice:***@host/", {"S3cretPW"}},
    {"mongodb//alice:S3cretPW@host/", "mongodb//alice:***@host/", {"S3cretPW"}},
    {"mongodb:alice:S3cretPW@host", "mongodb:alice:***@host", {"S3cretPW"}},
    {"mongodb:/S3cretToken@host/", "mongodb:/***@host/", {"S3cretToken"}},
    {"MongoDB://alice:S3cretPW@host/", "MongoDB://alice:***@host/", {"S3cretPW"}},
    /* raw characters in passwords */
    {"mongodb://alice:S3c:retPW@h:1/", "mongodb://alice:***@h:1/", {"S3c:retPW"}},
    {"mongodb://alice:S3c#retPW@h:1/", "mongodb://alice:***@h:1/", {"S3c#retPW"}},
    {"mongodb://alice:S3c?retPW@h:1/?tls=true", "mongodb://alice:***@h:1/?tls=true", {"S3c?retPW"}},
    {"mongodb://alice:p@ss@h/", "mongodb://alice:***@h/", {"p@ss"}},
    {"mongodb://alice:pa/ss@h/db?x=1", "mongodb://alice:***@h/db?x=1", {"pa/ss"}},
    {"mongodb://alice:S3c?k=v@h/", "mongodb://alice:***@h/", {"S3c?k=v"}},
    {"mongodb://alice:#?@:/x@h:27017/", "mongodb://alice:***@h:27017/", {"#?@:/x"}},
    {"mongodb://alice:\"Q\\uote\"@h/", "mongodb://alice:***@h/", {"\"Q\\uote\""}},
    /* percent-encoded passwords: masked as written and as decoded */
    {"mongodb://alice:p%40ss%3Aw%2Frd%23@h/",
     "mongodb://alice:***@h/",
     {"p%40ss%3Aw%2Frd%23", "p@ss:w/rd#"}},
    /* secret options */
    {"mongodb://h/?tls=true&tlsCertificateKeyFilePassword=TlsKeyS3cret&appName=x",
     "mongodb://h/?tls=true&tlsCertificateKeyFilePassword=***&appName=x",
     {"TlsKeyS3cret"}},
    {"mongodb://h/?ssl=true&sslClientCertificateKeyPassword=SslKeyS3cret",
     "mongodb://h/?ssl=true&sslClientCertificateKeyPassword=***",
     {"SslKeyS3cret"}},
    {"mongodb://h/?sslPEMKeyPassword=Pem%26S3cret&ssl=true",
     "mongodb://h/?sslPEMKeyPassword=***&ssl=true",
     {"Pem%26S3cret", "Pem&S3cret"}},
    /* a raw '&' in a secret option: the value runs to the next "&key=" */
    {"mongodb://h/?TLSCERTIFICATEKEYFILEPASSWORD=Key&S3cret&tls=true",
     "mongodb://h/?TLSCERTIFICATEKEYFILEPASSWORD=***&tls=true",
     {"Key&S3cret", "S3cret"}},
    {"mongodb://h/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:"
     "AwsT0kenXYZ",
     "mongodb://h/?authMechanism=MONGODB-AWS&authMechanismProperties=***",
     {"AwsT0kenXYZ"}},
    {"mongodb://AKIAKEY:AwsS3cretKey@h/?authMechanism=MONGODB-AWS&authMechanismProperties="
     "SERVICE_NAME:mongodb,AWS_SESSION_TOKEN:Sess%2BT0k",
     "mongodb://AKIAKEY:***@h/?authMechanism=MONGODB-AWS&authMechanismProperties=***",
     {"AwsS3cretKey", "Sess%2BT0k", "Sess+T0k"}},
    {"mongodb://h/?myToken=T0kenValue1&clientSecret=Cl1entSecret",
     "mongodb://h/?myToken=***&clientSecret=***",
     {"T0kenValue1", "Cl1entSecret"}},
    /* replica sets, SRV, IPv6, sockets */
    {"mongodb://alice:Rs%3FS3cret@db1:27017,db2:27018,db3/app?replicaSet=rs0&w=majority",
     "mongodb://alice:***@db1:27017,db2:27018,db3/app?replicaSet=rs0&w=majority",
     {"Rs%3FS3cret", "Rs?S3cret"}},
    {"mongodb+srv://alice:SrvS3cret@cluster0.example.net/?retryWrites=true",
     "mongodb+srv://alice:***@cluster0.example.net/?retryWrites=true",
     {"SrvS3cret"}},
    {"mongodb://alice:V6S3cret@[::1]:27017,[fe80::1%25eth0]:1/",
     "mongodb://alice:***@[::1]:27017,[fe80::1%25eth0]:1/",
     {"V6S3cret"}},
    {"mongodb://alice:SockS3cret@%2Ftmp%2Fmongodb-27017.sock/db",
     "mongodb://alice:***@%2Ftmp%2Fmongodb-27017.sock/db",
     {"SockS3cret"}},
    /* an '@' in an option: masked too much rather than too little */
    {"mongodb://u:pw0rd@h/?appName=me@corp", "mongodb://u:***@corp", {"pw0rd"}},
    {"mongodb://h/?appName=me@corp", "mongodb://h/?appName=me@corp", {NULL}},
    /* webhooks: user-info, path and query */
    {"https://hookuser:HookPassw0rd@hooks.example.com/x/y?token=QueryT0ken&a=b",
     "https://hookuser:***@hooks.example.com/***",
     {"HookPassw0rd", "QueryT0ken"}},
    {"https://UserT0kenOnly@hooks.example.com/hook",
     "https://***@hooks.example.com/***",
     {"UserT0kenOnly"}},
    {"http://127.0.0.1:8080?key=Sh0rtKey", "http://127.0.0.1:8080/***", {"Sh0rtKey"}},
    {"https://hc-ping.com/0c4d1a35-8f4a-4a7e-9d7c-2a3b4c5d6e7f/fail",
     "https://hc-ping.com/***",
     {"0c4d1a35-8f4a-4a7e-9d7c-2a3b4c5d6e7f"}},
    {"https:/hookuser:Malf0rmedHook@h/x", "https:/hookuser:***@h/***", {"Malf0rmedHook"}},
    /* nothing to mask */
    {"mongodb://localhost:27017/db", "mongodb://localhost:27017/db", {NULL}},
    {"mongodb://CN=client,O=x@h/?authMechanism=MONGODB-X509",
     "mongodb://CN=client,O=x@h/?authMechanism=MONGODB-X509",
     {NULL}},
    {"not a uri", "not a uri", {NULL}},
    {"", "", {NULL}},
};

#define NHOSTILE (sizeof hostile / sizeof *hostile)

static void test_shown(void **state)
{
   char out[1024];
   (void) state;

   for (size_t i = 0; i < NHOSTILE; i++) {
      mb_redact_reset();
      mb_redact_uri(hostile[i].uri, out, sizeof out);
      if (strcmp(out, hostile[i].shown) != 0) {
         fail_msg("%s\n  shown as %s\n  expected %s", hostile[i].uri, out, hostile[i].shown);
      }
   }
}

/* Every way a secret may be written: as is, percent-encoded (upper and lower case hex),
 * JSON-escaped. */
static void forms_of(const char *s, char forms[4][512])
{
   static const char *hex[2] = {"0123456789ABCDEF", "0123456789abcdef"};
   size_t o = 0;

   snprintf(forms[0], 512, "%s", s);
   for (int h = 0; h < 2; h++) {
      o = 0;
      for (const unsigned char *p = (const unsigned char *) s; *p && o < 500; p++) {
         if (isalnum(*p) || strchr("-._~", *p)) {
            forms[1 + h][o++] = (char) *p;
         } else {
            forms[1 + h][o++] = '%';
            forms[1 + h][o++] = hex[h][*p >> 4];
            forms[1 + h][o++] = hex[h][*p & 15];
         }
      }
      forms[1 + h][o] = '\0';
   }
   o = 0;
   for (const char *p = s; *p && o < 500; p++) {
      if (*p == '"' || *p == '\\') {
         forms[3][o++] = '\\';
      }
      forms[3][o++] = *p;
   }
   forms[3][o] = '\0';
}

static void test_registered_in_every_form(void **state)
{
   char forms[4][512], text[1200], *m;
   (void) state;

   for (size_t i = 0; i < NHOSTILE; i++) {
      mb_redact_reset();
      mb_redact_add_uri(hostile[i].uri);
      for (int k = 0; k < 4 && hostile[i].secret[k]; k++) {
         forms_of(hostile[i].secret[k], forms);
         for (int f = 0; f < 4; f++) {
            snprintf(text, sizeof text, "driver said \"%s\" here", forms[f]);
            m = mb_redact_dup(text);
            if (strcmp(m, "driver said \"***\" here") != 0) {
               fail_msg("%s: form %d of %s not masked: %s", hostile[i].uri, f, hostile[i].secret[k],
                        m);
            }
            bson_free(m);
         }
      }
   }
}

static void check_text(const char *in, const char *want);

static void test_driver_password(void **state)
{
   char text[256] = "Password \"S3c:ret\" must not have unescaped chars";
   (void) state;

   /* mongoc cuts at the first '@': its password is not ours, and it is shown */
   mb_redact_reset();
   mb_redact_add_uri("mongodb://alice:S3c:ret@x@host/");
   mb_redact_text(text, sizeof text);
   assert_string_equal(text, "Password \"***\" must not have unescaped chars");
   /* a raw '@' makes the rest of the password a host name, which the driver lower-cases */
   mb_redact_reset();
   mb_redact_add_uri("mongodb://alice:Ra1T@s2Pw@h:1/");
   check_text("No suitable servers found: [Failed to resolve s2pw@h]",
              "No suitable servers found: [Failed to resolve ***@h]");
   /* a raw '&' in a secret option: the driver names the rest as an option */
   mb_redact_reset();
   mb_redact_add_uri("mongodb://h/?tlsCertificateKeyFilePassword=AmpOne1&AmpTwo2&tls=true");
   check_text("URI option \"AmpTwo2\" contains no \"=\" sign",
              "URI option \"***\" contains no \"=\" sign");
   /* properties that are no secret are not masked everywhere */
   mb_redact_reset();
   mb_redact_add_uri("mongodb://h/?authMechanismProperties=SERVICE_NAME:mongodb,AWS_SESSION_TOKEN:"
                     "Tok3nValue");
   check_text("mongodb SERVICE_NAME Tok3nValue", "mongodb SERVICE_NAME ***");
}

static void test_secret_options(void **state)
{
   (void) state;

   assert_true(mb_redact_secret_option("tlsCertificateKeyFilePassword", 29));
   assert_true(mb_redact_secret_option("sslclientcertificatekeypassword", 31));
   assert_true(mb_redact_secret_option("sslPEMKeyPassword", 17));
   assert_true(mb_redact_secret_option("AUTHMECHANISMPROPERTIES", 23));
   assert_true(mb_redact_secret_option("access_token", 12));
   assert_true(mb_redact_secret_option("clientSecret", 12));
   assert_true(mb_redact_secret_option("pwd", 3));
   assert_false(mb_redact_secret_option("tlsCertificateKeyFile", 21));
   assert_false(mb_redact_secret_option("authMechanism", 13));
   assert_false(mb_redact_secret_option("appName", 7));
   assert_false(mb_redact_secret_option("", 0));
}

static void check_text(const char *in, const char *want)
{
   char buf[512];

   snprintf(buf, sizeof buf, "%s", in);
   mb_redact_text(buf, sizeof buf);
   if (strcmp(buf, want) != 0) {
      fail_msg("%s\n  masked as %s\n  expected %s", in, buf, want);
   }
}

static void test_uris_in_text(void **state)
{
   (void) state;

   /* nothing registered: the text itself is parsed */
   mb_redact_reset();
   check_text("unexpected argument 'mongodb://u:pw@h/'; the server is given with --uri",
              "unexpected argument 'mongodb://u:***@h/'; the server is given with --uri");
   check_text("malformed MongoDB URI 'mongodb:/u:pw@h/': Invalid URI Schema, expecting "
              "'mongodb://' or 'mongodb+srv://'",
              "malformed MongoDB URI 'mongodb:/u:***@h/': Invalid URI Schema, expecting "
              "'mongodb://' or 'mongodb+srv://'");
   check_text("{\"source\":\"mongodb://a:b@h1,h2/?tlsCertificateKeyFilePassword=k\"}",
              "{\"source\":\"mongodb://a:***@h1,h2/?tlsCertificateKeyFilePassword=***\"}");
   check_text("cannot reach the server at mongodb://alice:***@127.0.0.1:1/: No suitable servers",
              "cannot reach the server at mongodb://alice:***@127.0.0.1:1/: No suitable servers");
   check_text("POST https://bot:tok@h/x failed", "POST https://bot:***@h/x failed");
   /* punctuation after a URI is not part of it */
   check_text("cannot reach the server at mongodb://h/?tlsCertificateKeyFilePassword=k: none",
              "cannot reach the server at mongodb://h/?tlsCertificateKeyFilePassword=***: none");
   /* URLs without credentials, e-mail addresses and paths stay as they are */
   check_text("HTTP 404 from http://127.0.0.1:8080/notfound/x, mail to ops@example.com",
              "HTTP 404 from http://127.0.0.1:8080/notfound/x, mail to ops@example.com");
   check_text("mongodb-tools and mongodb: and /var/lib/mongodb/x",
              "mongodb-tools and mongodb: and /var/lib/mongodb/x");
}

static void test_longest_first_and_cut(void **state)
{
   char s[64];
   (void) state;

   mb_redact_reset();
   mb_redact_add_secret("abc");
   mb_redact_add_secret("abcdefgh");
   check_text("x abcdefgh y abc z", "x *** y *** z");
   /* a message cut in the middle of a secret: the cut-off beginning is masked */
   check_text("error: cannot log in with abcdefg", "error: cannot log in with ***");
   check_text("error: cannot log in with abcd", "error: cannot log in with ***");
   check_text("ends with ab", "ends with ab"); /* shorter than 4: too common to mask */
   /* the result is cut to the buffer */
   snprintf(s, 8, "%s", "abcdefgh");
   mb_redact_text(s, 4);
   assert_string_equal(s, "***");
}

static void test_small_output(void **state)
{
   char out[16];
   (void) state;

   mb_redact_reset();
   mb_redact_uri("mongodb://user:topsecretpassword@localhost:27017/admin", out, sizeof out);
   assert_string_equal(out, "mongodb://user:");
   mb_redact_uri("mongodb://user:topsecretpassword@h/", out, 1);
   assert_string_equal(out, "");
   assert_null(mb_redact_dup(NULL));
}

static void test_nothing_registered_for_plain_uris(void **state)
{
   char *m;
   (void) state;

   mb_redact_reset();
   mb_redact_add_uri("mongodb://localhost:27017/db?appName=backup&tls=true");
   mb_redact_add_uri("https://hooks.example.com/services/T000/B000");
   mb_redact_add_secret("");
   mb_redact_add_secret(NULL);
   mb_redact_add_uri(NULL);
   m = mb_redact_dup("localhost backup true services T000 B000 db");
   assert_string_equal(m, "localhost backup true services T000 B000 db");
   bson_free(m);
   /* a plain secret is masked whole, not in pieces, but without regard to case */
   mb_redact_add_secret("discord/dT0ken-x");
   m = mb_redact_dup("DISCORD_WEBHOOK_URL is discord/dT0ken-x or DISCORD/DT0KEN-X");
   assert_string_equal(m, "DISCORD_WEBHOOK_URL is *** or ***");
   bson_free(m);
}

int main(void)
{
   const struct CMUnitTest tests[] = {
       cmocka_unit_test(test_shown),
       cmocka_unit_test(test_registered_in_every_form),
       cmocka_unit_test(test_driver_password),
       cmocka_unit_test(test_secret_options),
       cmocka_unit_test(test_uris_in_text),
       cmocka_unit_test(test_longest_first_and_cut),
       cmocka_unit_test(test_small_output),
       cmocka_unit_test(test_nothing_registered_for_plain_uris),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
