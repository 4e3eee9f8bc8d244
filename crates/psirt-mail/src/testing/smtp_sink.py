"""A private SMTP server for psirt's tests (aiosmtpd 1.4.6).

Started by psirt_mail::testing::smtp_sink::SmtpSink, never by hand. Listens on
127.0.0.1, stores every message it accepts in --dir as NNNNNN.envelope (the
MAIL FROM address, then one RCPT TO address a line) and NNNNNN.eml (the DATA
bytes exactly as received, dot-stuffing undone), each written under a
temporary name and renamed, so a reader never sees half a message. Prints
"READY <port>" on stdout once it listens.
"""

import argparse
import asyncio
import glob
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Store:
    def __init__(self, directory, reject, delay):
        self.directory = directory
        self.reject = reject
        self.delay = delay
        self.count = len(glob.glob(os.path.join(directory, "*.eml")))

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        code = self.reject.get(address.lower())
        if code is not None:
            return f"{code} {'4.2.1' if code < 500 else '5.1.1'} <{address}>: refused by the test sink"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            # Mark the message being received, then take time over it. A
            # client that disconnects meanwhile cancels this coroutine
            # (aiosmtpd does on connection loss): nothing is stored.
            marker = os.path.join(self.directory, "receiving")
            write(marker, b"")
            try:
                await asyncio.sleep(self.delay)
            finally:
                try:
                    os.remove(marker)
                except FileNotFoundError:
                    pass
        self.count += 1
        base = os.path.join(self.directory, f"{self.count:06d}")
        lines = [envelope.mail_from or ""] + list(envelope.rcpt_tos)
        write(base + ".envelope", ("\n".join(lines) + "\n").encode("utf-8"))
        write(base + ".eml", envelope.original_content)
        return f"250 2.0.0 OK stored as {self.count:06d}"


def write(path, data):
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.rename(path + ".tmp", path)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--dir", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user")
    p.add_argument("--reject", action="append", default=[], help="address=code")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--delay", type=float, default=0.0, help="seconds spent on each DATA")
    args = p.parse_args()
    password = os.environ.get("SMTP_SINK_PASSWORD", "")
    reject = {}
    for item in args.reject:
        address, code = item.rsplit("=", 1)
        reject[address.lower()] = int(code)

    tls_context = None
    if args.cert:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.cert, args.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode("utf-8", "replace") == args.user
            and auth_data.password.decode("utf-8", "replace") == password
        )
        return AuthResult(success=ok, handled=False)

    handler = Store(args.dir, reject, args.delay)

    def factory():
        return SMTP(
            handler,
            hostname="sink.test",
            decode_data=False,
            enable_SMTPUTF8=True,
            tls_context=None if args.implicit_tls else tls_context,
            require_starttls=tls_context is not None and not args.implicit_tls,
            authenticator=authenticator if args.user else None,
            auth_required=bool(args.user),
            auth_require_tls=tls_context is not None and not args.implicit_tls,
        )

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(
            factory,
            host="127.0.0.1",
            port=args.port,
            ssl=tls_context if args.implicit_tls else None,
        )
    )
    port = server.sockets[0].getsockname()[1]
    print(f"READY {port}", flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    sys.exit(main())
