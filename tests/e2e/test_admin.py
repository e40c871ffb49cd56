"""Admin path end to end: the real fax-admin binary against a real fax-gateway with two sim
nodes. Users (table and --json, add), refusal of a non-admin (exit 4), jobs after a fax sent
with swaks, cancel, the records filter, and the audit log showing the changes."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Faxgate, wait_for  # noqa: E402


class AdminTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Slow sim pages so a job is still dialling when we cancel it.
        cls.fg = Faxgate(nodes=2, sim_page_ms=3000)
        try:
            cls.fg.start()
        except Exception:
            cls.fg.stop(keep=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.fg.stop()

    def admin(self, *args, **kwargs):
        return self.fg.fax_admin(*args, **kwargs)

    def test_users_list_add_and_refusals(self):
        r = self.admin("users", "list")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"(?m)^ID\s+ROLE\s+EMAIL")
        self.assertRegex(r.stdout, r"(?m)^demo\s+user\s+demo@example.com")
        r = self.admin("--json", "users", "list")
        self.assertEqual(r.returncode, 0, r.stderr)
        users = {u["id"]: u for u in json.loads(r.stdout)}
        self.assertEqual(users["admin"]["role"], "admin")
        self.assertNotIn("password", json.dumps(users))

        r = self.admin("users", "add", "carol", "--email", "carol@example.com", stdin="carol-pw\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.fg.query("SELECT role FROM users WHERE id='carol'"), [{"role": "user"}])
        r = self.admin("users", "add", "carol", stdin="x\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("exists", r.stderr)

        r = self.admin("users", "list", user="demo", password="demo")
        self.assertEqual(r.returncode, 4)
        self.assertIn("not an administrator", r.stderr)
        r = self.admin("users", "list", password="wrong")
        self.assertEqual(r.returncode, 4)
        r = self.admin("users", "fly")
        self.assertEqual(r.returncode, 2)
        env_closed = self.admin("--url", "http://127.0.0.1:9", "users", "list")
        self.assertEqual(env_closed.returncode, 3)

        r = self.admin("audit", "--limit", "20")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"admin\s+127\.0\.0\.1\s+user\.add\s+carol")
        self.assertNotIn("carol-pw", r.stdout)

    def test_nodes_show_live_state(self):
        r = self.admin("nodes", "list")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"(?m)^node-1\s+1\s+online\s+sim-1:")
        r = self.admin("--json", "nodes", "show", "node-2")
        node = json.loads(r.stdout)
        self.assertTrue(node["online"])
        self.assertNotIn("secret", node)

    def test_jobs_cancel_records_and_audit(self):
        r = self.fg.swaks("--from", "demo@example.com", "--to", "0355555555@fax.local",
                          "--body", "page one\n" * 40)
        self.assertIn("250", r.stdout)

        def dispatched():
            r = self.admin("--json", "jobs", "list", "--owner", "demo", "--active")
            jobs = [j for j in json.loads(r.stdout) if j["number"] == "0355555555"]
            return jobs[0] if jobs and jobs[0]["state"] == "dispatched" else None
        job = wait_for(dispatched, 30, "the job to be dialling")

        r = self.admin("jobs", "list")
        self.assertRegex(r.stdout, rf"(?m)^{job['id']}\s+demo\s+0355555555\s+dispatched")
        r = self.admin("jobs", "cancel", str(job["id"]))
        self.assertEqual(r.returncode, 0, r.stderr)

        def cancelled():
            r = self.admin("--json", "jobs", "show", str(job["id"]))
            return json.loads(r.stdout)["state"] == "cancelled"
        wait_for(cancelled, 30, "the job to be cancelled")
        r = self.admin("jobs", "cancel", str(job["id"]))
        self.assertEqual(r.returncode, 1)
        self.assertIn("already cancelled", r.stderr)

        def record():
            r = self.admin("--json", "records", "--job", str(job["id"]))
            return json.loads(r.stdout) or None
        records = wait_for(record, 30, "the cancelled call's record")
        self.assertEqual(records[0]["result"], "cancelled")
        r = self.admin("records", "--number", "0355555555", "--direction", "send")
        self.assertRegex(r.stdout, r"send\s+node-\d\s+sim-1\s+0355555555")
        r = self.admin("--json", "records", "--number", "0300000000")
        self.assertEqual(json.loads(r.stdout), [])

        r = self.admin("jobs", "retry", str(job["id"]))
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.admin("--json", "audit")
        actions = [(e["action"], e["target"]) for e in json.loads(r.stdout)]
        self.assertIn(("job.cancel", str(job["id"])), actions)
        self.assertIn(("job.retry", str(job["id"])), actions)


if __name__ == "__main__":
    unittest.main()
