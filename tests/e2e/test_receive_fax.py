"""Receive path end to end: a fax sent by mail leaves through node-1's sim line, arrives on
node-2's sim line (the sim exchange connects them), node-2 hands it to the gateway, the
routing table picks the users, and they read it over IMAP with Python's imaplib and curl.
Also a fax injected into a line's inbox, a blocked caller, and the routing default."""

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
from harness import FaxgateTestCase, wait_for  # noqa: E402

NODE2_NUMBER = "03000000002"  # node-2's sim line (harness.node_config)


class ReceiveFaxTest(FaxgateTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Both TIFF and PDF for the admin, so the test can compare the received bytes.
        r = cls.fg.fax_admin("users", "set", "admin", "--attachment", "both")
        assert r.returncode == 0, r.stdout + r.stderr

    def imap(self, user, password):
        client = imaplib.IMAP4("127.0.0.1", self.fg.imap_port)
        client.login(user, password)
        return client

    def wait_inbox(self, user, password, count, timeout=60):
        def arrived():
            client = self.imap(user, password)
            try:
                typ, data = client.select("INBOX", readonly=True)
                return int(data[0]) >= count
            finally:
                client.logout()
        wait_for(arrived, timeout, f"{count} message(s) in {user}'s INBOX")

    def test_fax_between_two_nodes_lands_in_the_routed_mailbox(self):
        # No routing rule and no default route: the administrators get it.
        pdf = tempfile.NamedTemporaryFile(delete=False, suffix=".pdf")
        pdf.write(documents.pdf(2))
        pdf.close()
        r = self.fg.swaks("--from", "demo@example.com", "--to", f"{NODE2_NUMBER}@fax.local",
                          "--header", "Subject: to the other node",
                          "--attach-type", "application/pdf", "--attach", "@" + pdf.name)
        self.assertIn("250 2.0.0", r.stdout, r.stdout + r.stderr)
        self.wait_inbox("admin", "admin", 1)

        sent = self.fg.query("SELECT d.tiff, d.pages FROM documents d JOIN jobs j "
                             "ON j.submission_id = d.submission_id WHERE j.number = ?",
                             (NODE2_NUMBER,))[0]
        client = self.imap("admin", "admin")
        try:
            client.select("INBOX")
            typ, data = client.search(None, "UNSEEN")
            self.assertEqual(typ, "OK")
            ids = data[0].split()
            self.assertEqual(len(ids), 1)
            typ, data = client.fetch(ids[0], "(BODYSTRUCTURE)")
            structure = data[0].decode()
            self.assertIn('"application" "pdf"', structure.lower())
            typ, data = client.fetch(ids[0], "(RFC822)")
            message = email.message_from_bytes(data[0][1], policy=email.policy.default)
        finally:
            client.logout()
        self.assertIn("3 pages", str(message["Subject"]))  # cover + 2 PDF pages
        self.assertIn("+81 3 0000 0001", str(message["Subject"]))  # node-1's station ID
        parts = {p.get_content_type(): p.get_content() for p in message.iter_attachments()}
        self.assertEqual(parts["image/tiff"], sent["tiff"], "the fax arrives bit for bit")
        received_pdf = tempfile.NamedTemporaryFile(delete=False, suffix=".pdf")
        received_pdf.write(parts["application/pdf"])
        received_pdf.close()
        info = subprocess.run(["pdfinfo", received_pdf.name], capture_output=True, text=True)
        self.assertRegex(info.stdout, r"Pages:\s+3\n")

        # Both records agree, and the reception's routing decision is stored.
        records = self.fg.query("SELECT * FROM records WHERE direction = 'receive'")
        self.assertEqual(len(records), 1)
        self.assertEqual(records[0]["node_id"], "node-2")
        self.assertEqual(records[0]["pages"], 3)
        self.assertEqual(records[0]["routed_to"], "admin")
        sent_record = self.fg.query("SELECT r.* FROM records r JOIN jobs j ON j.id = r.job_id "
                                    "WHERE j.number = ?", (NODE2_NUMBER,))[0]
        self.assertEqual(sent_record["pages"], 3)
        self.assertEqual(sent_record["remote_csid"], "+81 3 0000 0002")

        # A second client reads the same message: curl's IMAP, by UID.
        out = subprocess.run(["curl", "-s", "-u", "admin:admin",
                              f"imap://127.0.0.1:{self.fg.imap_port}/INBOX;UID=1"],
                             capture_output=True, timeout=30).stdout
        self.assertIn(b"Subject:", out)

        # Nobody else sees it.
        client = self.imap("demo", "demo")
        try:
            typ, data = client.select("INBOX", readonly=True)
            self.assertEqual(int(data[0]), 0)
        finally:
            client.logout()

    def test_mbsync_copies_the_mailboxes_to_a_local_maildir(self):
        # mbsync (isync), a real IMAP client, syncs demo's folders: the reports are there.
        self.fg.swaks("--from", "demo@example.com", "--to", "0312340001@fax.local",
                      "--header", "Subject: for mbsync", "--body", "hello")
        wait_for(lambda: [j for j in self.fg.query("SELECT state FROM jobs WHERE number = ?",
                                                   ("0312340001",)) if j["state"] == "done"],
                 60, "the fax for mbsync")
        home = tempfile.mkdtemp(dir=self.fg.dir)
        os.makedirs(f"{home}/mail")
        with open(f"{home}/mbsyncrc", "w") as f:
            f.write(f"""IMAPAccount faxgate
Host 127.0.0.1
Port {self.fg.imap_port}
User demo
Pass demo
SSLType None
AuthMechs LOGIN

IMAPStore remote
Account faxgate

MaildirStore local
Path {home}/mail/
Inbox {home}/mail/INBOX
SubFolders Verbatim

Channel faxgate
Far :remote:
Near :local:
Patterns *
Create Near
SyncState *
""")
        r = subprocess.run(["mbsync", "-c", f"{home}/mbsyncrc", "-a"], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        sent_dir = f"{home}/mail/Sent Faxes/cur"
        new_dir = f"{home}/mail/Sent Faxes/new"
        files = [os.path.join(d, n) for d in (sent_dir, new_dir) if os.path.isdir(d)
                 for n in os.listdir(d)]
        subjects = []
        for path in files:
            with open(path, "rb") as f:
                subjects.append(str(email.message_from_bytes(f.read(),
                                                             policy=email.policy.default)["Subject"]))
        self.assertTrue(any("0312340001" in s for s in subjects), subjects)

    def test_injected_fax_arrives_and_sent_reports_are_in_sent_faxes(self):
        inbox = f"{self.fg.dir}/node-1/inbox/sim-1"
        os.makedirs(inbox, exist_ok=True)
        with open(f"{inbox}/.in.json", "w") as f:
            f.write('{"caller_number": "0455512345", "remote_csid": "INJECTED"}')
        os.rename(f"{inbox}/.in.json", f"{inbox}/in.json")
        with open(f"{inbox}/.in.tif", "wb") as f:
            f.write(documents.tiff(2))
        os.rename(f"{inbox}/.in.tif", f"{inbox}/in.tif")
        wait_for(lambda: self.fg.query("SELECT * FROM records WHERE remote_csid = 'INJECTED'"),
                 30, "the injected reception")
        record = self.fg.query("SELECT * FROM records WHERE remote_csid = 'INJECTED'")[0]
        self.assertEqual(record["caller_number"], "0455512345")
        self.assertEqual(record["pages"], 2)
        # demo's result reports from the other test are filed in "Sent Faxes".
        client = self.imap("demo", "demo")
        try:
            typ, folders = client.list()
            self.assertTrue(any(b'"Sent Faxes"' in f for f in folders), folders)
        finally:
            client.logout()


if __name__ == "__main__":
    unittest.main(verbosity=2)
