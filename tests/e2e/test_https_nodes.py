"""The gateway's HTTP listener over HTTPS (`[http] tls_certificate`), end to end: nodes that
trust its certificate (`[gateway] ca_file`) log in over TLS and send a fax, fax-admin works
with the CA file, and a node that does not trust the certificate never logs in (it keeps
retrying with back-off and says why in its log)."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, Faxgate, wait_for  # noqa: E402


class HttpsNodesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fg = Faxgate(nodes=2, https=True)
        try:
            cls.fg.start()
        except Exception:
            cls.fg.stop(keep=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.fg.stop()

    def test_fax_goes_out_through_nodes_on_https(self):
        r = self.fg.swaks("--from", "demo@example.com", "--to", "0312340001@fax.local",
                          "--body", "over TLS")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        job = wait_for(lambda: [j for j in self.fg.query(
            "SELECT state, node FROM jobs WHERE number = '0312340001'") if j["state"] == "done"],
            60, "the job to be done")
        self.assertIn(job[0]["node"], ("node-1", "node-2"))

    def test_fax_admin_trusts_the_ca_file(self):
        r = self.fg.fax_admin("nodes", "list")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"(?m)^node-1\s+.*online")

    def test_node_without_the_ca_file_is_refused_by_tls(self):
        config = self.fg.node_config(0).replace(f"ca_file = {self.fg.cert}", "")
        config = config.replace("id = node-1", "id = node-untrusting")
        config = config.replace(f"port = {self.fg.node_ports[0]}", "port = 0")
        config = config.replace(f"spool_dir = {self.fg.dir}/node-1",
                                f"spool_dir = {self.fg.dir}/node-untrusting")
        # Not in the sim exchange: it must not take node-1's number over.
        config = "\n".join(line for line in config.splitlines()
                           if not line.startswith("sim.exchange_dir"))
        path = f"{self.fg.dir}/node-untrusting.ini"
        with open(path, "w") as f:
            f.write(config)
        log_path = f"{self.fg.dir}/node-untrusting.log"
        with open(log_path, "wb") as log:
            node = subprocess.Popen([f"{BIN}/fax-node", "--config", path], stdout=log,
                                    stderr=subprocess.STDOUT)
        try:
            def complained():
                with open(log_path, errors="replace") as f:
                    text = f.read().lower()
                return "certificate verify failed" in text
            wait_for(complained, 30, "the node to report the certificate problem")
            self.assertNotIn("node node-untrusting logged in", self.fg.log("gateway"))
        finally:
            node.terminate()
            node.wait(10)


if __name__ == "__main__":
    unittest.main()
