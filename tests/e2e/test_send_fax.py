"""Send path end to end: swaks submits mails to a real fax-gateway, two real fax-node
processes with sim lines send them, and the result mails arrive at a relay (aiosmtpd).
Checks SMTP refusals, jobs and communication records in the store, and the result mails."""

import email
import email.policy
import os
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import documents  # noqa: E402
from harness import Faxgate, FaxgateTestCase, wait_for  # noqa: E402


def write_temp(data, suffix):
    f = tempfile.NamedTemporaryFile(delete=False, suffix=suffix)
    f.write(data)
    f.close()
    return f.name


class SendFaxTest(FaxgateTestCase):

    def jobs_of_number(self, number):
        return self.fg.query("SELECT * FROM jobs WHERE number = ? ORDER BY id", (number,))

    def wait_final(self, number, timeout=60):
        def final():
            jobs = self.jobs_of_number(number)
            return jobs if jobs and all(j["state"] in ("done", "failed", "cancelled")
                                        for j in jobs) else None
        return wait_for(final, timeout, f"job to {number} to end")

    def result_mail_for(self, number, timeout=60):
        return self.fg.sink.wait_for_message(lambda m, r: number in str(m["Subject"]), timeout)

    # --- refusals at SMTP time ---------------------------------------------------------
    def test_mail_without_auth_is_refused_with_530(self):
        r = self.fg.swaks("--from", "x@example.com", "--to", "0311111111@fax.local", auth=None)
        self.assertIn("530 5.7.0", r.stdout + r.stderr)
        self.assertEqual(self.jobs_of_number("0311111111"), [])

    def test_bad_password_is_refused_with_535(self):
        r = self.fg.swaks("--from", "x@example.com", "--to", "0311111112@fax.local",
                          auth=("demo", "wrong"))
        self.assertIn("535 5.7.8", r.stdout + r.stderr)
        self.assertEqual(self.jobs_of_number("0311111112"), [])

    def test_recipients_that_are_not_fax_numbers_are_refused_at_rcpt(self):
        r = self.fg.swaks("--from", "demo@example.com", "--to", "someone@example.com")
        self.assertRegex(r.stdout, r"<\*\* 550 5\.7\.1")
        r = self.fg.swaks("--from", "demo@example.com", "--to", "call-me@fax.local")
        self.assertRegex(r.stdout, r"<\*\* 550 5\.1\.")

    def test_oversize_mail_is_refused_with_552(self):
        big = write_temp(os.urandom(2_500_000), ".pdf")
        r = self.fg.swaks("--from", "demo@example.com", "--to", "0311111113@fax.local",
                          "--attach", "@" + big, timeout=120)
        self.assertRegex(r.stdout, r"<\*\* 552")
        self.assertEqual(self.jobs_of_number("0311111113"), [])

    def test_unsupported_attachment_is_refused_with_554_naming_it(self):
        doc = write_temp(b"PK\x03\x04 not a fax document" * 10, ".docx")
        r = self.fg.swaks("--from", "demo@example.com", "--to", "0311111114@fax.local",
                          "--attach-type", "application/vnd.openxmlformats-officedocument",
                          "--attach-name", "report.docx", "--attach", "@" + doc)
        self.assertRegex(r.stdout, r"<\*\* 554 5\.6\.0 .*report\.docx")
        self.assertEqual(self.jobs_of_number("0311111114"), [])

    # --- the whole path ----------------------------------------------------------------
    def test_pdf_tiff_and_jpeg_are_faxed_and_reported(self):
        number = "0312345678"
        pdf = write_temp(documents.pdf(2), ".pdf")
        tif = write_temp(documents.tiff(2), ".tif")
        jpg = write_temp(documents.jpeg(), ".jpg")
        r = self.fg.swaks("--from", "demo@example.com", "--to", f"{number}@fax.local",
                          "--header", "Subject: quarterly report",
                          "--body", "Please find the report attached.",
                          "--attach-type", "application/pdf", "--attach", "@" + pdf,
                          "--attach-type", "image/tiff", "--attach", "@" + tif,
                          "--attach-type", "image/jpeg", "--attach", "@" + jpg)
        self.assertIn("<-  250 2.0.0 queued as submission", r.stdout, r.stdout + r.stderr)
        jobs = self.wait_final(number)
        self.assertEqual(len(jobs), 1)
        job = jobs[0]
        self.assertEqual(job["state"], "done", job)
        # cover page + 2 PDF pages + 2 TIFF pages + 1 JPEG page
        self.assertEqual(job["pages_total"], 6)
        self.assertEqual(job["pages_sent"], 6)
        records = self.fg.query("SELECT * FROM records WHERE job_id = ?", (job["id"],))
        self.assertEqual(len(records), 1)
        self.assertEqual(records[0]["result"], "ok")
        self.assertEqual(records[0]["pages"], 6)
        self.assertEqual(records[0]["remote_csid"], "+" + number)

        mail = self.result_mail_for(number)
        self.assertIn("demo@example.com", str(mail["To"]))
        self.assertIn("quarterly report", str(mail["Subject"]))
        body = mail.get_body(preferencelist=("plain",)).get_content()
        self.assertIn(number, body)
        self.assertIn("6", body)
        self.assertIn(job["node"], body)
        # The document as it went out, as a PDF with every page.
        pdfs = [p for p in mail.iter_attachments() if p.get_content_type() == "application/pdf"]
        self.assertEqual(len(pdfs), 1)
        sent = write_temp(pdfs[0].get_content(), ".pdf")
        info = subprocess.run(["pdfinfo", sent], capture_output=True, text=True).stdout
        self.assertRegex(info, r"Pages:\s+6\n")

    def test_broadcast_to_three_numbers_gives_one_report(self):
        numbers = ["0355500001", "0355500002", "0397000003"]  # the last fails after 1 page
        pdf = write_temp(documents.pdf(2), ".pdf")
        r = self.fg.swaks("--from", "demo@example.com",
                          "--to", ",".join(n + "@fax.local" for n in numbers),
                          "--header", "Subject: broadcast test",
                          "--attach-type", "application/pdf", "--attach", "@" + pdf)
        self.assertIn("250 2.0.0 queued", r.stdout, r.stdout + r.stderr)
        states = {n: self.wait_final(n, timeout=90)[0]["state"] for n in numbers}
        self.assertEqual(states, {numbers[0]: "done", numbers[1]: "done", numbers[2]: "failed"})
        reports = wait_for(lambda: [m for f, t, m in self.fg.sink.messages()
                                    if b"broadcast test" in m], 30, "the broadcast report")
        self.assertEqual(len(reports), 1, "one report for the whole broadcast")
        text = reports[0].decode(errors="replace")
        for n in numbers:
            self.assertIn(n, text)

    def test_busy_number_is_retried_then_given_up(self):
        number = "0399000001"  # always busy on the sim lines
        r = self.fg.swaks("--from", "demo@example.com", "--to", f"{number}@fax.local",
                          "--header", "Subject: busy test", "--body", "hello")
        self.assertIn("250 2.0.0", r.stdout)
        job = self.wait_final(number, timeout=120)[0]
        self.assertEqual(job["state"], "failed")
        self.assertEqual(job["dials"], 12)  # HylaFAX's default maximum dials
        attempts = self.fg.query("SELECT * FROM attempts WHERE job_id = ?", (job["id"],))
        self.assertEqual(len(attempts), 12)
        self.assertTrue(all(a["result"] == "busy" for a in attempts))
        mail = self.result_mail_for(number)
        self.assertIn("busy", mail.get_body(preferencelist=("plain",)).get_content().lower())

    def test_unreadable_pdf_fails_with_a_report(self):
        number = "0312340000"
        bad = write_temp(b"%PDF-1.4\n this is not really a pdf \n%%EOF\n", ".pdf")
        r = self.fg.swaks("--from", "demo@example.com", "--to", f"{number}@fax.local",
                          "--header", "Subject: broken pdf",
                          "--attach-type", "application/pdf", "--attach", "@" + bad)
        self.assertIn("250 2.0.0", r.stdout)
        job = self.wait_final(number)[0]
        self.assertEqual(job["state"], "failed")
        self.assertEqual(job["last_result"], "conversion_failed")
        self.result_mail_for(number)

    def test_mail_accepted_while_nodes_are_down_survives_a_gateway_crash(self):
        number = "0312349999"
        for i in range(2):
            self.fg.stop_process(f"node-{i + 1}")
        r = self.fg.swaks("--from", "demo@example.com", "--to", f"{number}@fax.local",
                          "--header", "Subject: crash test", "--body", "survive")
        self.assertIn("250 2.0.0", r.stdout)
        # SIGKILL right after 250: no chance to flush anything that was not already durable.
        self.fg.processes["gateway"].send_signal(signal.SIGKILL)
        self.fg.processes["gateway"].wait()
        del self.fg.processes["gateway"]
        self.fg.start_gateway()
        for i in range(2):
            self.fg.start_node(i)
        self.fg.wait_nodes_online()
        job = self.wait_final(number)[0]
        self.assertEqual(job["state"], "done")


class RequeueNoticeTest(unittest.TestCase):
    """With reports.requeue_notices on, each failed try that will be retried is mailed too."""

    def test_each_retried_failure_is_announced_then_one_final_report(self):
        fg = Faxgate(nodes=1, gateway_extra="[reports]\nrequeue_notices = true\n")
        try:
            fg.start()
            number = "0397000009"  # drops after 1 page: 3 connected tries, then failed
            r = fg.swaks("--from", "demo@example.com", "--to", f"{number}@fax.local",
                         "--header", "Subject: requeue test", "--body", "two pages\f please")
            self.assertIn("250 2.0.0", r.stdout)
            wait_for(lambda: len(fg.sink.messages()) >= 3, 60, "two notices and the report")
            subjects = [str(email.message_from_bytes(m, policy=email.policy.default)["Subject"])
                        for _, _, m in fg.sink.messages()]
            finals = [s for s in subjects if "FAILED" in s.upper() or "failed" in s]
            self.assertEqual(len(subjects), 3, subjects)
            self.assertGreaterEqual(len(finals), 1, subjects)
            job = fg.query("SELECT * FROM jobs WHERE number = ?", (number,))[0]
            self.assertEqual(job["state"], "failed")
            self.assertEqual(job["connected_tries"], 3)
        finally:
            fg.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
