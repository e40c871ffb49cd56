"""Received faxes delivered to users' external mailboxes, end to end. A fax sent by mail leaves
through node-1's sim line and arrives on node-2's; the routed user (the administrator, with
no routing rule) has an external address, so besides the gateway's own INBOX a copy leaves:
- by IMAP APPEND into a throwaway Dovecot (inbound.external_delivery = imap_append, logging in
  as a Dovecot master user), where it is one unread message with the 3-page PDF; with Dovecot
  down the copy waits in the outbox and arrives once Dovecot is back;
- by SMTP to the relay (the default), here the harness's aiosmtpd sink.
"""

import email
import email.policy
import imaplib
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import documents  # noqa: E402
from dovecot import Dovecot  # noqa: E402
from harness import BIN, Faxgate, wait_for  # noqa: E402

NODE2_NUMBER = "03000000002"  # node-2's sim line (harness.node_config)
EXTERNAL = "admin.ext@example.org"  # the administrator's external address
EXTERNAL_PASSWORD = "ext-password"  # their own Dovecot password, for reading


def admin_cli(fg, *args, stdin="admin\n"):
    env = dict(os.environ, FAXGATE_URL=f"http://127.0.0.1:{fg.http_port}", FAXGATE_USER="admin")
    return subprocess.run([f"{BIN}/fax-admin", "--password-stdin", *args], input=stdin,
                          capture_output=True, text=True, timeout=60, env=env)


def pdf_pages(pdf_bytes, directory):
    with tempfile.NamedTemporaryFile(dir=directory, suffix=".pdf", delete=False) as f:
        f.write(pdf_bytes)
    info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True, timeout=30)
    for line in info.stdout.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    raise AssertionError("pdfinfo cannot read the PDF: " + info.stderr)


class ExternalDeliveryCase(unittest.TestCase):
    """A gateway with two sim nodes whose administrator has the address EXTERNAL."""

    gateway_extra = ""

    @classmethod
    def start_gateway(cls):
        cls.fg = Faxgate(nodes=2, gateway_extra=cls.gateway_extra)
        try:
            cls.fg.start()
            r = admin_cli(cls.fg, "users", "set", "admin", "--email", EXTERNAL,
                          "--attachment", "pdf")
            assert r.returncode == 0, r.stdout + r.stderr
        except Exception:
            cls.fg.stop(keep=True)
            raise

    def receive_fax(self, subject):
        """Sends a 2-page PDF (3 fax pages with the cover) from node-1 to node-2 and returns
        the record ID of the reception the gateway stored."""
        known = {r["record_id"] for r in self.fg.query(
            "SELECT record_id FROM records WHERE direction = 'receive'")}
        pdf = tempfile.NamedTemporaryFile(dir=self.fg.dir, delete=False, suffix=".pdf")
        pdf.write(documents.pdf(2))
        pdf.close()
        r = self.fg.swaks("--from", "demo@example.com", "--to", f"{NODE2_NUMBER}@fax.local",
                          "--header", f"Subject: {subject}",
                          "--attach-type", "application/pdf", "--attach", "@" + pdf.name)
        self.assertIn("250 2.0.0", r.stdout, r.stdout + r.stderr)

        def new_reception():
            rows = self.fg.query("SELECT record_id, pages FROM records "
                                 "WHERE direction = 'receive' AND routed_to != ''")
            return [row for row in rows if row["record_id"] not in known]
        rows = wait_for(new_reception, 90, "the reception on node-2")
        self.assertEqual(rows[0]["pages"], 3)
        return rows[0]["record_id"]


@unittest.skipUnless(os.geteuid() == 0, "the throwaway Dovecot is started as root")
class ImapAppendTest(ExternalDeliveryCase):
    @classmethod
    def setUpClass(cls):
        directory = tempfile.mkdtemp(prefix="faxgate-dovecot-")
        cls.dovecot_dir = directory
        cls.dovecot = Dovecot(directory, {EXTERNAL: EXTERNAL_PASSWORD})
        with open(f"{directory}/append-password", "w") as f:
            f.write(cls.dovecot.master[1] + "\n")
        cls.gateway_extra = f"""
[outbox]
first_retry_delay_ms = 300
max_retry_delay_ms = 1000

[inbound]
external_delivery = imap_append

[imap_append]
url = imap://127.0.0.1:{cls.dovecot.port}/INBOX
login = {{email}}*{cls.dovecot.master[0]}
password_file = {directory}/append-password
require_tls = false
timeout_ms = 5000
"""
        cls.dovecot.start()
        try:
            cls.start_gateway()
        except Exception:
            cls.dovecot.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.dovecot.stop()
        cls.fg.stop()
        if not os.environ.get("FAXGATE_KEEP"):
            import shutil
            shutil.rmtree(cls.dovecot_dir, ignore_errors=True)

    def setUp(self):
        if self.dovecot.process is None:
            self.dovecot.start()

    def dovecot_uids(self, record_id, criteria=""):
        """UIDs of the messages in Dovecot's INBOX for this reception (read-only)."""
        client = imaplib.IMAP4("127.0.0.1", self.dovecot.port)
        try:
            client.login(EXTERNAL, EXTERNAL_PASSWORD)
            client.select("INBOX", readonly=True)
            query = f'HEADER X-Faxgate-Record "{record_id}"'
            typ, data = client.uid("SEARCH", None, f"({criteria} {query})" if criteria else query)
            self.assertEqual(typ, "OK")
            return data[0].split()
        finally:
            client.logout()

    def fetch(self, uid):
        client = imaplib.IMAP4("127.0.0.1", self.dovecot.port)
        try:
            client.login(EXTERNAL, EXTERNAL_PASSWORD)
            client.select("INBOX", readonly=True)
            typ, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
            self.assertEqual(typ, "OK")
            return email.message_from_bytes(data[0][1], policy=email.policy.default)
        finally:
            client.logout()

    def test_a_fax_is_appended_to_the_external_inbox_unread_with_its_pdf(self):
        # The gateway knows only the master user's password, not EXTERNAL_PASSWORD: the APPEND
        # can only have been made with the master login of the template.
        record_id = self.receive_fax("to dovecot")
        wait_for(lambda: self.dovecot_uids(record_id), 60, "the fax in Dovecot's INBOX")
        self.assertEqual(len(self.dovecot_uids(record_id)), 1, "appended once")
        unseen = self.dovecot_uids(record_id, "UNSEEN")
        self.assertEqual(len(unseen), 1, "the \\Seen flag libcurl sets was cleared")

        message = self.fetch(unseen[0])
        self.assertIn("3 pages", str(message["Subject"]))
        self.assertEqual(str(message["X-Faxgate-Record"]), record_id)
        pdfs = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
        self.assertEqual(len(pdfs), 1)
        self.assertEqual(pdf_pages(pdfs[0].get_content(), self.fg.dir), 3)

        # The same message is in the gateway's own INBOX, and the outbox is empty again.
        client = imaplib.IMAP4("127.0.0.1", self.fg.imap_port)
        try:
            client.login("admin", "admin")
            client.select("INBOX", readonly=True)
            typ, data = client.search(None, f'HEADER X-Faxgate-Record "{record_id}"')
            self.assertEqual(len(data[0].split()), 1)
        finally:
            client.logout()
        wait_for(lambda: not self.fg.query("SELECT id FROM outbox WHERE state = 'queued'"), 30,
                 "the outbox to empty")

    def test_with_dovecot_down_the_copy_waits_in_the_outbox_until_it_is_back(self):
        self.dovecot.stop()
        record_id = self.receive_fax("while dovecot is down")

        def deferred():
            return [m for m in self.fg.query(
                "SELECT tries, last_error FROM outbox WHERE state = 'queued' "
                "AND transport = 'imap_append'") if m["tries"] >= 2]
        waiting = wait_for(deferred, 60, "the copy to be deferred twice")
        self.assertIn(f"127.0.0.1:{self.dovecot.port}", waiting[0]["last_error"])

        self.dovecot.start()
        wait_for(lambda: self.dovecot_uids(record_id), 60, "the deferred fax in Dovecot")
        self.assertEqual(len(self.dovecot_uids(record_id, "UNSEEN")), 1)
        wait_for(lambda: not self.fg.query("SELECT id FROM outbox WHERE state = 'queued'"), 30,
                 "the outbox to empty")
        self.assertEqual(self.fg.query("SELECT id FROM outbox WHERE state = 'failed'"), [])


class RelayCopyTest(ExternalDeliveryCase):
    """The default: the copy goes to the SMTP relay (the harness's aiosmtpd sink)."""

    @classmethod
    def setUpClass(cls):
        cls.start_gateway()

    @classmethod
    def tearDownClass(cls):
        cls.fg.stop()

    def test_the_copy_is_relayed_to_the_external_address_with_the_pdf(self):
        record_id = self.receive_fax("to the relay")

        def copies():
            found = []
            for mail_from, rcpts, data in self.fg.sink.messages():
                message = email.message_from_bytes(data, policy=email.policy.default)
                if str(message["X-Faxgate-Record"]) == record_id:
                    found.append((mail_from, rcpts, message))
            return found
        found = wait_for(copies, 60, "the relayed copy")
        self.assertEqual(len(found), 1)
        mail_from, rcpts, message = found[0]
        self.assertEqual(rcpts, [EXTERNAL])
        self.assertEqual(mail_from, "faxgate@fax.local")
        pdfs = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
        self.assertEqual(len(pdfs), 1)
        self.assertEqual(pdf_pages(pdfs[0].get_content(), self.fg.dir), 3)


if __name__ == "__main__":
    unittest.main(verbosity=2)
