#!/usr/bin/python3
"""A recording SMTP server for the notification tests (Debian's python3-aiosmtpd).

Listens on 127.0.0.1 (a free port, written to --port-file once ready) in one of three modes:
  plain     no TLS at all
  starttls  STARTTLS offered (certificate --cert/--key)
  tls       implicit TLS from the first byte
With --user/--password, AUTH is offered (PLAIN and LOGIN, or only --mech) and required, and
checked against them. Every accepted message is stored as OUT/msg-N.eml (the raw DATA) and
OUT/msg-N.json (envelope, authenticated login, whether the session was encrypted). Every AUTH
attempt is appended to OUT/auth.jsonl with the mechanism, login and TLS state.
"""
import argparse
import asyncio
import json
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def is_tls(server, session):
    if session.ssl is not None:
        return True
    t = server.transport
    return t is not None and t.get_extra_info("ssl_object") is not None


class Recorder:
    def __init__(self, out):
        self.out = out
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        base = os.path.join(self.out, "msg-%d" % self.n)
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "login": session.auth_data.decode() if isinstance(session.auth_data, bytes) else None,
            "tls": is_tls(server, session),
        }
        with open(base + ".json", "w") as f:
            json.dump(meta, f)
        return "250 Message accepted for delivery"


def make_authenticator(out, user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = False
        login = None
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode(errors="replace")
            ok = auth_data.login == user.encode() and auth_data.password == password.encode()
        with open(os.path.join(out, "auth.jsonl"), "a") as f:
            f.write(json.dumps({"mechanism": mechanism, "login": login, "ok": ok,
                                "tls": is_tls(server, session)}) + "\n")
        return AuthResult(success=ok, handled=False, auth_data=login.encode() if ok else None)

    return authenticate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["plain", "starttls", "tls"], default="plain")
    ap.add_argument("--out", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--mech", choices=["PLAIN", "LOGIN"])
    a = ap.parse_args()

    ctx = None
    if a.mode != "plain":
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
    kwargs = {"hostname": "mx.test", "enable_SMTPUTF8": True}
    if a.mode == "starttls":
        kwargs["tls_context"] = ctx
    if a.user:
        kwargs["authenticator"] = make_authenticator(a.out, a.user, a.password)
        kwargs["auth_required"] = True
        # credentials must be accepted over implicit TLS (aiosmtpd only knows STARTTLS) and,
        # for the refusal test, over a plain connection: the client is what is under test
        kwargs["auth_require_tls"] = a.mode == "starttls"
        if a.mech:
            kwargs["auth_exclude_mechanism"] = ["PLAIN", "LOGIN"]
            kwargs["auth_exclude_mechanism"].remove(a.mech)
    handler = Recorder(a.out)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(handler, loop=loop, **kwargs), "127.0.0.1", 0,
        ssl=ctx if a.mode == "tls" else None))
    port = server.sockets[0].getsockname()[1]
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, a.port_file)
    try:
        loop.run_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
