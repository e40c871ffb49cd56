"""Central node settings end to end (docs/settings.md): a gateway and two sim nodes that fax
each other through the sim exchange, and the real fax-admin.

- A node registers its own settings at its first hello (version 1), so `node get` works at once.
- Changing node-1's station ID with `fax-admin node set` reaches node-1, which applies it,
  persists it and acknowledges the version; its next fax carries the new TSI (the receiving
  node records it as the remote CSID), also when the change arrives while a call is running
  (that call finishes; nothing is dropped).
- A node that is offline when its settings are registered shows drift, and gets and applies
  them at its next hello.
- Non-admins and bad passwords are refused; every change is in the audit log.
"""

import json
import os
import sys
import unittest
import urllib.request
import base64

sys.path.insert(0, os.path.dirname(__file__))
import documents  # noqa: E402
from harness import Faxgate, wait_for  # noqa: E402


class NodeSettingsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Pages of 400 ms, so a 4-page fax is still running when settings arrive.
        cls.fg = Faxgate(nodes=2, sim_page_ms=400)
        try:
            cls.fg.start()
        except Exception:
            cls.fg.stop(keep=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.fg.stop()

    # --- helpers -----------------------------------------------------------------------
    def admin(self, *args, **kwargs):
        return self.fg.fax_admin(*args, **kwargs)

    def api(self, path):
        request = urllib.request.Request(f"http://127.0.0.1:{self.fg.http_port}{path}")
        token = base64.b64encode(b"admin:admin").decode()
        request.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def get_settings(self, node):
        r = self.admin("node", "get", node)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def set_settings(self, node, document):
        path = os.path.join(self.fg.dir, f"{node}-settings.json")
        with open(path, "w") as f:
            json.dump(document, f)
        return self.admin("node", "set", node, "-f", path)

    def wait_applied(self, node, version, timeout=30):
        def applied():
            status = self.api(f"/api/v1/nodes/{node}/settings")
            return status["applied_version"] == version and status["in_sync"]
        wait_for(applied, timeout, f"{node} to apply settings version {version}")

    def send_fax(self, number, pages=1):
        path = os.path.join(self.fg.dir, f"document-{pages}.pdf")
        with open(path, "wb") as f:
            f.write(documents.pdf(pages=pages))
        r = self.fg.swaks("--from", "demo@example.com", "--to", f"{number}@fax.local",
                          "--attach-type", "application/pdf", "--attach", f"@{path}",
                          "--body", "see the attached document")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def reception_csids(self, receiving_node):
        rows = self.fg.query("SELECT remote_csid FROM records WHERE direction = 'receive'"
                             " AND node_id = ? ORDER BY seq", (receiving_node,))
        return [row["remote_csid"] for row in rows]

    def spooled_settings(self, node):
        with open(os.path.join(self.fg.dir, node, "settings.json")) as f:
            return json.load(f)

    # --- tests -------------------------------------------------------------------------
    def test_1_nodes_register_their_own_settings_at_hello(self):
        document = self.get_settings("node-1")
        self.assertGreaterEqual(document["version"], 1)
        self.assertEqual(document["node_id"], "node-1")
        self.assertEqual(document["lines"][0]["station_id"], "+81 3 0000 0001")
        self.assertNotIn("secret", document)
        versions = self.fg.query("SELECT version FROM settings_versions WHERE scope = 'node:node-1'")
        self.assertTrue(versions)

    def test_2_new_station_id_is_applied_and_carried_by_the_next_fax(self):
        document = self.get_settings("node-1")
        document["lines"][0]["station_id"] = "+81 3 9999 0001"
        r = self.set_settings("node-1", document)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        new_version = document["version"] + 1
        self.wait_applied("node-1", new_version)
        spooled = self.spooled_settings("node-1")
        self.assertEqual(spooled["version"], new_version)
        self.assertEqual(spooled["settings"]["lines"][0]["station_id"], "+81 3 9999 0001")

        before = len(self.reception_csids("node-2"))
        self.send_fax("03000000002")  # node-1 comes first in the priority table
        wait_for(lambda: len(self.reception_csids("node-2")) > before, 60,
                 "node-2 to receive the fax")
        self.assertEqual(self.reception_csids("node-2")[-1], "+81 3 9999 0001")

        audit = self.fg.query("SELECT admin_user, client_address, action FROM audit_log"
                              " WHERE target = 'node-1' ORDER BY id DESC LIMIT 1")
        self.assertEqual(audit[0]["admin_user"], "admin")
        self.assertEqual(audit[0]["client_address"], "127.0.0.1")

    def test_3_settings_arriving_during_a_call_do_not_drop_it(self):
        before = self.fg.query("SELECT COUNT(*) AS n FROM records WHERE direction = 'send'"
                               " AND result = 'ok'")[0]["n"]
        self.send_fax("03000000002", pages=4)
        wait_for(lambda: self.fg.query("SELECT COUNT(*) AS n FROM jobs WHERE state = 'dispatched'"
                                       " OR state = 'sending'")[0]["n"] > 0, 30,
                 "the fax to be dialling")
        document = self.get_settings("node-1")
        document["lines"][0]["header"] = "changed during a call"
        r = self.set_settings("node-1", document)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        wait_for(lambda: self.fg.query("SELECT COUNT(*) AS n FROM records WHERE direction = 'send'"
                                       " AND result = 'ok'")[0]["n"] > before, 60,
                 "the running fax to finish")
        last = self.fg.query("SELECT pages, pages_total, result FROM records"
                             " WHERE direction = 'send' ORDER BY seq DESC LIMIT 1")[0]
        self.assertEqual(last["result"], "ok")
        self.assertEqual(last["pages"], last["pages_total"])
        self.wait_applied("node-1", document["version"] + 1)

    def test_4_offline_node_gets_its_settings_at_the_next_hello(self):
        document = self.get_settings("node-2")
        self.fg.stop_process("node-2")
        document["lines"][0]["station_id"] = "+81 3 8888 0002"
        r = self.set_settings("node-2", document)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        new_version = document["version"] + 1
        status = self.api("/api/v1/nodes/node-2/settings")
        self.assertEqual(status["version"], new_version)
        self.assertNotEqual(status["applied_version"], new_version)
        self.assertFalse(status["in_sync"])
        r = self.admin("nodes", "list")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"(?m)^node-2\b.*v%d" % new_version)

        self.fg.start_node(1)
        self.wait_applied("node-2", new_version)
        self.assertEqual(self.spooled_settings("node-2")["settings"]["lines"][0]["station_id"],
                         "+81 3 8888 0002")
        # node-2 first in the priority table, so the next fax leaves through it.
        r = self.admin("priority", "set", "node-2", "node-1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        before = len(self.reception_csids("node-1"))
        self.send_fax("03000000001")
        wait_for(lambda: len(self.reception_csids("node-1")) > before, 60,
                 "node-1 to receive the fax")
        self.assertEqual(self.reception_csids("node-1")[-1], "+81 3 8888 0002")

    def test_5_refusals(self):
        r = self.admin("node", "get", "node-1", user="demo", password="demo")
        self.assertEqual(r.returncode, 4)
        r = self.admin("node", "get", "node-1", password="wrong")
        self.assertEqual(r.returncode, 4)
        document = self.get_settings("node-1")
        document["lines"][0]["max_bit_rate"] = 9000
        r = self.set_settings("node-1", document)
        self.assertEqual(r.returncode, 1)
        self.assertIn("lines[0].max_bit_rate", r.stderr)
        stale = self.get_settings("node-1")
        stale["version"] -= 1
        r = self.set_settings("node-1", stale)
        self.assertEqual(r.returncode, 1)


if __name__ == "__main__":
    unittest.main()
