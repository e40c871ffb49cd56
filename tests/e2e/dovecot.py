"""A throwaway Dovecot 2.3 IMAP server for the end-to-end tests: configured in a directory of
the test's, listening on 127.0.0.1 only, started with `dovecot -F` and stopped by its PID.

Users log in with their own password (a passwd-file) or as a master user ("user*master" with
the master's password, a second passwd-file with master = yes): the gateway appends with the
master login, the test reads with the user's own. Every login gets a maildir under
<dir>/mail/<login> (static userdb), so any address can receive.

Dovecot as configured here runs as root (its login processes drop to the package's dovenull
and dovecot users, mail is written as nobody); FIELD-NOTES.md "Dovecot 2.3 from a temp dir".
"""

import os
import shutil
import subprocess

from harness import free_port, wait_for, wait_for_port


class Dovecot:
    def __init__(self, directory, users, master=("faxgate", "master-secret")):
        """`users`: {login: password}; `master`: (name, password) of the master user."""
        self.dir = directory
        self.users = dict(users)
        self.master = master
        self.port = free_port()
        self.process = None
        os.chmod(self.dir, 0o755)  # Dovecot's auth process (user dovecot) reads the files
        os.makedirs(f"{self.dir}/mail", exist_ok=True)
        os.chmod(f"{self.dir}/mail", 0o777)  # written as nobody
        with open(f"{self.dir}/users", "w") as f:
            for login, password in self.users.items():
                f.write(f"{login}:{{PLAIN}}{password}\n")
        with open(f"{self.dir}/masters", "w") as f:
            f.write(f"{master[0]}:{{PLAIN}}{master[1]}\n")
        with open(f"{self.dir}/dovecot.conf", "w") as f:
            f.write(self.config())

    def config(self):
        d = self.dir
        return f"""protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_master_user_separator = *
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/masters
  master = yes
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={d}/mail/%u
}}
mail_location = maildir:{d}/mail/%u
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
"""

    def master_login(self, user):
        return f"{user}*{self.master[0]}"

    def start(self):
        if not shutil.which("dovecot"):
            raise RuntimeError("dovecot is not installed (contrib/install-deps.sh --test)")
        with open(f"{self.dir}/stdout.log", "ab") as log:
            self.process = subprocess.Popen(["dovecot", "-F", "-c", f"{self.dir}/dovecot.conf"],
                                            stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(self.port)
        except AssertionError:
            self.stop()
            raise AssertionError("dovecot did not start listening: " + self.log())

    def stop(self):
        """Stops the master process (and with it its children) by PID, and waits for it."""
        p, self.process = self.process, None
        if p and p.poll() is None:
            p.terminate()
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        # The listener is gone once the master has exited; make sure before a restart.
        wait_for(lambda: not os.path.exists(f"{self.dir}/run/master.pid"), 10,
                 "dovecot's pid file to disappear")

    def log(self):
        text = ""
        for name in ("stdout.log", "dovecot.log"):
            try:
                with open(f"{self.dir}/{name}", errors="replace") as f:
                    text += f.read()[-3000:]
            except FileNotFoundError:
                pass
        return text
