"""mutt, a real terminal mail client, reads a received fax from the gateway's IMAP server.

A 3-page fax is injected into node-1's sim line and routed to the administrator's INBOX. mutt
opens the INBOX over IMAP and copies every message to a local mbox, driven by a `push` in a
temporary muttrc (tag all, copy the tagged, quit). mutt insists on a terminal, so it runs on
a pseudo-terminal from Python's pty module, with a time-out. The test then compares what mutt
fetched with what imaplib fetches: the same message, the same PDF bytes, 3 pages.
"""

import email
import email.policy
import fcntl
import imaplib
import mailbox
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import documents  # noqa: E402
from harness import FaxgateTestCase, wait_for  # noqa: E402

MUTT_TIMEOUT_S = 60


def run_on_pty(argv, env, timeout):
    """Runs `argv` with a pseudo-terminal as stdin/stdout/stderr; returns (exit code or None
    if it had to be killed, everything it wrote to the terminal)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                               close_fds=True, start_new_session=True)
    os.close(slave)
    screen = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    data = b""
                screen += data
                if not data and process.poll() is not None:
                    break
            elif process.poll() is not None:
                break
        code = process.poll()
        if code is None:
            process.kill()
            process.wait()
        return code, screen
    finally:
        os.close(master)


def pdf_of(message):
    parts = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(parts) == 1, [p.get_content_type() for p in message.iter_attachments()]
    return parts[0].get_content()


@unittest.skipUnless(shutil.which("mutt"), "mutt is not installed (contrib/install-deps.sh --test)")
class MuttTest(FaxgateTestCase):
    def test_mutt_copies_the_received_fax_with_its_pdf(self):
        fg = self.fg
        inbox = f"{fg.dir}/node-1/inbox/sim-1"
        os.makedirs(inbox, exist_ok=True)
        with open(f"{inbox}/.in.json", "w") as f:
            f.write('{"caller_number": "0455500003", "remote_csid": "MUTT TEST"}')
        os.rename(f"{inbox}/.in.json", f"{inbox}/in.json")
        with open(f"{inbox}/.in.tif", "wb") as f:
            f.write(documents.tiff(3))
        os.rename(f"{inbox}/.in.tif", f"{inbox}/in.tif")
        record = wait_for(lambda: fg.query("SELECT record_id FROM records "
                                           "WHERE remote_csid = 'MUTT TEST' AND routed_to != ''"),
                          60, "the injected reception")[0]["record_id"]

        def fetch_by_imaplib():
            client = imaplib.IMAP4("127.0.0.1", fg.imap_port)
            try:
                client.login("admin", "admin")
                client.select("INBOX", readonly=True)
                typ, data = client.search(None, f'HEADER X-Faxgate-Record "{record}"')
                ids = data[0].split()
                if not ids:
                    return None
                typ, data = client.fetch(ids[0], "(BODY.PEEK[])")
                return data[0][1]
            finally:
                client.logout()
        raw = wait_for(fetch_by_imaplib, 30, "the fax in admin's INBOX")
        expected = email.message_from_bytes(raw, policy=email.policy.default)

        home = tempfile.mkdtemp(dir=fg.dir)
        saved = f"{home}/saved.mbox"
        with open(f"{home}/muttrc", "w") as f:
            f.write(f"""set imap_user="admin"
set imap_pass="admin"
set ssl_starttls=no
set ssl_force_tls=no
set folder="imap://127.0.0.1:{fg.imap_port}/"
set spoolfile="+INBOX"
set mbox_type=mbox
set confirmcreate=no
set confirmappend=no
set wait_key=no
set quit=yes
set move=no
set header_cache=""
set message_cachedir=""
set mail_check=0
push "<tag-pattern>~A<enter><tag-prefix><copy-message>{saved}<enter><quit>"
""")
        env = dict(os.environ, HOME=home, TERM="vt100", LC_ALL="C.UTF-8")
        code, screen = run_on_pty(["mutt", "-n", "-F", f"{home}/muttrc"], env, MUTT_TIMEOUT_S)
        text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|[\x0e\x0f]", b"",
                      screen).decode(errors="replace")
        self.assertEqual(code, 0, f"mutt did not finish within {MUTT_TIMEOUT_S} s: ...{text[-800:]}")
        self.assertTrue(os.path.exists(saved), f"mutt saved nothing: ...{text[-800:]}")

        copies = [m for m in mailbox.mbox(saved)
                  if m["X-Faxgate-Record"] == record]
        self.assertEqual(len(copies), 1)
        fetched = email.message_from_bytes(copies[0].as_bytes(), policy=email.policy.default)
        self.assertEqual(fetched["Message-ID"], expected["Message-ID"])
        self.assertEqual(str(fetched["Subject"]), str(expected["Subject"]))
        self.assertIn("3 pages", str(fetched["Subject"]))
        pdf = pdf_of(fetched)
        self.assertEqual(pdf, pdf_of(expected), "mutt's PDF is the bytes imaplib fetched")
        with open(f"{home}/fax.pdf", "wb") as f:
            f.write(pdf)
        info = subprocess.run(["pdfinfo", f"{home}/fax.pdf"], capture_output=True, text=True,
                              timeout=30)
        self.assertRegex(info.stdout, r"Pages:\s+3\n")
        # The text part with the reception record, too (a local mbox stores LF line ends).
        text_by_mutt = fetched.get_body(("plain",)).get_content()
        self.assertEqual(text_by_mutt,
                         expected.get_body(("plain",)).get_content().replace("\r\n", "\n"))
        self.assertIn("MUTT TEST", text_by_mutt)


if __name__ == "__main__":
    unittest.main(verbosity=2)
