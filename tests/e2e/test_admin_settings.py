"""fax-admin's settings commands against a real gateway (docs/admin-tool.md, docs/settings.md).

- A node's settings as YAML: `node get -o yaml > n.yaml`, edit the station ID, `node set -f
  n.yaml`; the node applies it, phone numbers stay strings with their leading zero, and the
  nodes list shows lines busy/idle and the settings in sync.
- Two edits from the same base version: the second is refused (exit 1, "someone registered
  version N meanwhile: get again"); a rollback registers an old version's content again.
- The routing table: get, edit, set, get shows it; its versions (also via `history`), a stale
  edit refused, a rollback.
- Non-admins and bad passwords: exit 4.
- The API over HTTPS with a self-signed certificate made by `openssl req`: fax-admin works with
  --ca-file (and FAXGATE_CA_FILE), fails with exit 3 and a certificate message without it,
  works with a warning under --insecure; plain HTTP is not served on that port.
"""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Faxgate, wait_for  # noqa: E402


class SettingsAdminTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Retry delays within the settings document's range (retry.*_ms >= 1000).
        cls.fg = Faxgate(nodes=1, node_retry="--retry-busy-ms 1000 --retry-failure-ms 1000")
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

    def get_json(self):
        r = self.admin("node", "get", "node-1")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def write(self, name, text):
        path = os.path.join(self.fg.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def wait_in_sync(self, version):
        def applied():
            r = self.admin("--json", "node", "status", "node-1")
            status = json.loads(r.stdout)
            return status["applied_version"] == version and status["in_sync"]
        wait_for(applied, 30, f"node-1 to apply settings version {version}")

    def test_1_yaml_round_trip_of_a_node_settings(self):
        wait_for(lambda: self.admin("node", "get", "node-1").returncode == 0, 30,
                 "node-1's own settings to be registered at its hello")
        r = self.admin("node", "get", "node-1", "-o", "yaml")
        self.assertEqual(r.returncode, 0, r.stderr)
        yaml_text = r.stdout
        self.assertRegex(yaml_text, r"(?m)^version: \d+$")
        self.assertIn('number: "03000000001"', yaml_text)  # a string, leading zero kept
        self.assertIn('station_id: "+81 3 0000 0001"', yaml_text)
        base = int(yaml_text.split("version: ", 1)[1].split("\n", 1)[0])

        path = self.write("n.yaml", yaml_text.replace('"+81 3 0000 0001"', '"+81 3 5555 0001"'))
        r = self.admin("node", "set", "node-1", "-f", path)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"registered version {base + 1}", r.stdout)
        self.wait_in_sync(base + 1)

        document = self.get_json()
        self.assertEqual(document["version"], base + 1)
        self.assertEqual(document["lines"][0]["station_id"], "+81 3 5555 0001")
        self.assertEqual(document["lines"][0]["number"], "03000000001")
        self.assertIsInstance(document["lines"][0]["max_bit_rate"], int)

        r = self.admin("nodes", "list")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"(?m)^ID\s+PRIORITY\s+STATE\s+LINES\s+BUSY/IDLE\s+KEEP-FREE\s+"
                                   r"SETTINGS")
        self.assertRegex(r.stdout, rf"(?m)^node-1\s+1\s+online\s+sim-1:idle\s+0/1\s+0\s+"
                                   rf"in sync \(v{base + 1}\)")

    def test_2_stale_base_version_and_rollback(self):
        document = self.get_json()
        base = document["version"]
        station = document["lines"][0]["station_id"]
        first = dict(document, lines=[dict(document["lines"][0], header="edit A")])
        second = dict(document, lines=[dict(document["lines"][0], header="edit B")])
        r = self.admin("node", "set", "node-1", "-f", self.write("a.json", json.dumps(first)))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.admin("node", "set", "node-1", "-f", self.write("b.json", json.dumps(second)))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(f"someone registered version {base + 1} meanwhile: get again", r.stderr)
        self.assertEqual(self.get_json()["lines"][0]["header"], "edit A")

        r = self.admin("node", "rollback", "node-1", str(base))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"version {base} restored", r.stdout)
        self.assertIn(f"registered version {base + 2}", r.stdout)
        restored = self.get_json()
        self.assertEqual(restored["version"], base + 2)
        self.assertEqual(restored["lines"][0]["header"], document["lines"][0]["header"])
        self.assertEqual(restored["lines"][0]["station_id"], station)
        self.wait_in_sync(base + 2)

        r = self.admin("node", "rollback", "node-1", "999")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)

    def test_3_routing_edit_versions_conflict_and_rollback(self):
        r = self.admin("routing", "get")
        self.assertEqual(r.returncode, 0, r.stderr)
        table = json.loads(r.stdout)
        base = table["version"]
        table["rules"].append({"field": "called", "match": "exact", "value": "0312345678",
                               "users": ["demo"]})
        table["default"] = ["admin"]
        r = self.admin("routing", "set", "-f", self.write("routing.json", json.dumps(table)))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"routing table: registered version {base + 1}", r.stdout)

        r = self.admin("routing", "get", "-o", "yaml")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"version: {base + 1}\n", r.stdout)
        self.assertIn('value: "0312345678"', r.stdout)
        edited = r.stdout
        # Two edits from the same base: the first wins, the second must fetch again.
        r = self.admin("routing", "set", "-f",
                       self.write("first.yaml", edited.replace('- "admin"', '- "demo"')))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.admin("routing", "set", "-f", self.write("second.yaml", edited))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(f"someone registered version {base + 2} meanwhile: get again", r.stderr)
        self.assertEqual(json.loads(self.admin("routing", "get").stdout)["default"], ["demo"])

        r = self.admin("--json", "routing", "versions")
        self.assertEqual(r.returncode, 0, r.stderr)
        versions = json.loads(r.stdout)
        self.assertEqual([v["version"] for v in versions][:2], [base + 2, base + 1])
        self.assertEqual(versions[0]["admin"], "admin")
        r = self.admin("history", "routing")
        self.assertRegex(r.stdout, rf"(?m)^{base + 1}\s+\S+ \S+\s+admin\s+127\.0\.0\.1\s+routing\.set")

        r = self.admin("routing", "rollback", str(base + 1))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"registered version {base + 3}", r.stdout)
        table = json.loads(self.admin("routing", "get").stdout)
        self.assertEqual(table["version"], base + 3)
        self.assertEqual(table["default"], ["admin"])
        self.assertEqual(table["rules"][0]["value"], "0312345678")

    def test_4_refusals(self):
        r = self.admin("node", "get", "node-1", user="demo", password="demo")
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("not an administrator", r.stderr)
        r = self.admin("routing", "get", user="demo", password="demo")
        self.assertEqual(r.returncode, 4, r.stderr)
        r = self.admin("routing", "versions", password="wrong")
        self.assertEqual(r.returncode, 4, r.stderr)
        r = self.admin("node", "set", "node-1", "-f", self.write("x.json", "{}"),
                       password="wrong")
        self.assertEqual(r.returncode, 4, r.stderr)
        r = self.admin("node", "set", "node-1", "-f", self.write("bad.yaml", "lines: [1, 2\n"))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("bad.yaml: not valid YAML", r.stderr)


class HttpsApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fg = Faxgate(nodes=0)
        cls.cert = os.path.join(cls.fg.dir, "gateway.pem")
        key = os.path.join(cls.fg.dir, "gateway.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cls.cert,
                        "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       check=True, capture_output=True, timeout=60)
        cls.fg.gateway_extra = f"[http]\ntls_certificate = {cls.cert}\ntls_private_key = {key}\n"
        try:
            cls.fg.start()
        except Exception:
            cls.fg.stop(keep=True)
            raise
        cls.url = f"https://127.0.0.1:{cls.fg.http_port}"

    @classmethod
    def tearDownClass(cls):
        cls.fg.stop()

    def admin(self, *args, **env):
        return self.fg.fax_admin(*args, extra_env=dict({"FAXGATE_URL": self.url}, **env))

    def test_trusted_with_the_ca_file_only(self):
        r = self.admin("--ca-file", self.cert, "users", "list")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"(?m)^admin\s+admin")
        r = self.admin("users", "list", FAXGATE_CA_FILE=self.cert)
        self.assertEqual(r.returncode, 0, r.stderr)

        r = self.admin("users", "list")
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("certificate", r.stderr)
        self.assertIn("--ca-file", r.stderr)

        r = self.admin("--insecure", "users", "list")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("warning: --insecure", r.stderr)

        r = self.admin("--ca-file", os.path.join(self.fg.dir, "missing.pem"), "users", "list")
        self.assertEqual(r.returncode, 2, r.stderr)

    def test_plain_http_is_not_served(self):
        r = self.fg.fax_admin("users", "list")  # the harness's http:// URL
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("HTTPS", self.fg.log("gateway"))


if __name__ == "__main__":
    unittest.main()
