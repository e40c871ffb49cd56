"""End-to-end test harness: starts a real fax-gateway and fax-node processes on loopback
from temporary configs, a result-mail relay (aiosmtpd, in this process), and gives the tests
real clients (swaks for SMTP) and read-only access to the gateway's SQLite store.

Everything listens on 127.0.0.1 on ports picked free at start; everything started here is
stopped in stop(), also when a test fails.
"""

import email
import email.policy
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest

from aiosmtpd.controller import Controller

BIN = os.environ.get("FAXGATE_BIN", os.path.join(os.path.dirname(__file__), "../../build/bin"))
SOURCE = os.environ.get("FAXGATE_SOURCE", os.path.join(os.path.dirname(__file__), "../.."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout=30.0, what="condition"):
    """Polls `condition` until it returns a true value; fails the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def wait_for_port(port, timeout=20.0):
    def is_open():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False
    wait_for(is_open, timeout, f"port {port}")


class _Collector:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                                  bytes(envelope.original_content or envelope.content)))
        return "250 OK"


class MailSink:
    def __init__(self):
        self.port = free_port()
        self.collector = _Collector()
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()

    def messages(self):
        with self.collector.lock:
            return list(self.collector.messages)

    def wait_for_message(self, predicate, timeout=30.0):
        def find():
            for mail_from, rcpts, data in self.messages():
                msg = email.message_from_bytes(data, policy=email.policy.default)
                if predicate(msg, rcpts):
                    return msg
            return None
        return wait_for(find, timeout, "a result mail")


class Faxgate:
    """A gateway, `nodes` sim nodes and a relay sink, configured in a temporary directory."""

    def __init__(self, nodes=2, sim_page_ms=100, sim_dial_ms=50, gateway_extra="",
                 node_retry="--retry-busy-ms 1000 --retry-failure-ms 1000", https=False):
        self.dir = tempfile.mkdtemp(prefix="faxgate-e2e-")
        # https: the gateway's HTTP listener (nodes and admins) serves HTTPS only, with a
        # self-signed certificate for 127.0.0.1 that the nodes and fax-admin are told to trust.
        self.https = https
        self.scheme = "https" if https else "http"
        self.cert = f"{self.dir}/gateway-cert.pem"
        self.key = f"{self.dir}/gateway-key.pem"
        self.smtp_port = free_port()
        self.http_port = free_port()
        self.imap_port = free_port()
        self.node_ports = [free_port() for _ in range(nodes)]
        self.sink = MailSink()
        self.processes = {}
        self.sim_page_ms = sim_page_ms
        self.sim_dial_ms = sim_dial_ms
        self.gateway_extra = gateway_extra
        self.node_retry = node_retry.split()

    # --- configuration -------------------------------------------------------------
    def gateway_config(self):
        return f"""[gateway]
hostname = faxgate.test
data_dir = {self.dir}/gateway
templates_dir = {SOURCE}/templates

[smtp]
listen_address = 127.0.0.1
port = {self.smtp_port}
fax_domain = fax.local
max_message_bytes = 2000000
max_recipients = 10

[imap]
listen_address = 127.0.0.1
port = {self.imap_port}

[http]
listen_address = 127.0.0.1
port = {self.http_port}
heartbeat_interval_ms = 500
{self.http_tls_keys()}
[relay]
url = smtp://127.0.0.1:{self.sink.port}
{self.gateway_extra}
"""

    def http_tls_keys(self):
        if not self.https:
            return ""
        return f"tls_certificate = {self.cert}\ntls_private_key = {self.key}\n"

    def make_certificate(self):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", self.key,
                        "-out", self.cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       check=True, capture_output=True, timeout=60)

    def node_config(self, index):
        n = index + 1
        return f"""[node]
id = node-{n}
listen_address = 127.0.0.1
port = {self.node_ports[index]}
spool_dir = {self.dir}/node-{n}

[gateway]
url = {self.scheme}://127.0.0.1:{self.http_port}
{f"ca_file = {self.cert}" if self.https else ""}
secret = e2e-secret-{n}

[line.sim-1]
driver = sim
number = 0300000000{n}
station_id = +81 3 0000 000{n}
header = faxgate e2e node-{n}
sim.dial_ms = {self.sim_dial_ms}
sim.page_ms = {self.sim_page_ms}
sim.busy = ^0399.*
sim.no_answer = ^0398.*
sim.fail = ^0397.*
sim.fail_after_pages = 1
sim.exchange_dir = {self.dir}/exchange
"""

    def gateway_cli(self, *args, stdin=None):
        return subprocess.run([f"{BIN}/fax-gateway", "--config", f"{self.dir}/gateway.ini", *args],
                              input=stdin, capture_output=True, text=True, timeout=60)

    # --- processes ---------------------------------------------------------------
    def start(self):
        if self.https:
            self.make_certificate()
        self.sink.start()
        with open(f"{self.dir}/gateway.ini", "w") as f:
            f.write(self.gateway_config())
        for i in range(len(self.node_ports)):
            with open(f"{self.dir}/node-{i + 1}.ini", "w") as f:
                f.write(self.node_config(i))
        for user, extra in (("demo", ["--email", "demo@example.com"]), ("admin", ["--admin"])):
            r = self.gateway_cli("user", "add", user, *extra, stdin=user + "\n")
            assert r.returncode == 0, r.stderr
        for i, port in enumerate(self.node_ports):
            r = self.gateway_cli("node", "add", f"node-{i + 1}", "--url", f"http://127.0.0.1:{port}",
                                 "--secret", f"e2e-secret-{i + 1}", "--priority", str(i + 1),
                                 *self.node_retry)
            assert r.returncode == 0, r.stderr
        self.start_gateway()
        for i in range(len(self.node_ports)):
            self.start_node(i)
        self.wait_nodes_online()

    def _spawn(self, name, argv):
        with open(f"{self.dir}/{name}.log", "ab") as log:  # the child keeps its own copy
            self.processes[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)

    def start_gateway(self):
        self.gateway_log_offset = len(self.log("gateway"))
        self._spawn("gateway", [f"{BIN}/fax-gateway", "--config", f"{self.dir}/gateway.ini"])
        wait_for_port(self.smtp_port)
        wait_for_port(self.http_port)
        wait_for_port(self.imap_port)

    def start_node(self, index):
        self._spawn(f"node-{index + 1}",
                    [f"{BIN}/fax-node", "--config", f"{self.dir}/node-{index + 1}.ini"])
        wait_for_port(self.node_ports[index])

    def stop_process(self, name):
        p = self.processes.pop(name, None)
        if p and p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def wait_nodes_online(self, timeout=20.0):
        """Waits until the gateway log shows every node logged in."""
        def all_in():
            text = self.log("gateway")[self.gateway_log_offset:]
            return all(f"node node-{i + 1} logged in" in text for i in range(len(self.node_ports)))
        wait_for(all_in, timeout, "nodes to log in")

    def stop(self, keep=False):
        for name in list(self.processes):
            self.stop_process(name)
        self.sink.stop()
        if not keep and not os.environ.get("FAXGATE_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def log(self, name):
        try:
            with open(f"{self.dir}/{name}.log", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    # --- clients -----------------------------------------------------------------
    def swaks(self, *args, auth=("demo", "demo"), timeout=60):
        argv = ["swaks", "--server", f"127.0.0.1:{self.smtp_port}", "--helo", "client.test",
                "--timeout", "30"]
        if auth:
            argv += ["--auth", "PLAIN", "--auth-user", auth[0], "--auth-password", auth[1]]
        argv += list(args)
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)

    def fax_admin(self, *args, user="admin", password="admin", stdin=None, extra_env=None):
        """Runs the real fax-admin against this gateway as `user` (environment credentials)."""
        env = dict(os.environ, FAXGATE_URL=f"{self.scheme}://127.0.0.1:{self.http_port}",
                   FAXGATE_USER=user, FAXGATE_PASSWORD=password, HOME=self.dir)
        if self.https:
            env["FAXGATE_CA_FILE"] = self.cert
        env.update(extra_env or {})
        return subprocess.run([f"{BIN}/fax-admin", *args], input=stdin, capture_output=True,
                              text=True, timeout=60, env=env)

    # --- the store, read-only --------------------------------------------------------
    def query(self, sql, params=()):
        db = sqlite3.connect(f"file:{self.dir}/gateway/faxgate.db?mode=ro", uri=True, timeout=10)
        try:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute(sql, params).fetchall()]
        finally:
            db.close()


class FaxgateTestCase(unittest.TestCase):
    """One gateway with two sim nodes for all tests of a class; kept on disk if start fails."""

    @classmethod
    def setUpClass(cls):
        cls.fg = Faxgate(nodes=2)
        try:
            cls.fg.start()
        except Exception:
            cls.fg.stop(keep=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.fg.stop()
