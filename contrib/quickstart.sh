#!/usr/bin/env bash
# The quickstart: installs what is missing, builds, and runs a gateway with two fax nodes
# (simulated lines) on loopback, in the foreground, with a fresh SQLite store in a temporary
# directory. Users demo/demo and admin/admin exist only here. Result mails are relayed to a
# local aiosmtpd that prints them in this terminal. Ctrl-C stops everything.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/contrib/install-deps.sh" --test
"$top/contrib/build.sh"
bin="${FAXGATE_BUILD_DIR:-$top/build}/bin"

run=$(mktemp -d /tmp/faxgate-quickstart.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "quickstart: stopped; logs and store are in $run"
}
trap cleanup EXIT INT TERM

cat > "$run/gateway.ini" <<INI
[gateway]
hostname = faxgate.local
data_dir = $run/gateway
templates_dir = $top/templates

[smtp]
listen_address = 127.0.0.1
port = 2525
fax_domain = fax.local

[imap]
listen_address = 127.0.0.1
port = 1143

[http]
listen_address = 127.0.0.1
port = 8080

[relay]
url = smtp://127.0.0.1:2526
INI

for n in 1 2; do
  cat > "$run/node-$n.ini" <<INI
[node]
id = node-$n
listen_address = 127.0.0.1
port = 808$n
spool_dir = $run/node-$n

[gateway]
url = http://127.0.0.1:8080
secret = quickstart-secret-$n

[line.sim-1]
driver = sim
number = 031234500$n
station_id = +81 3 1234 500$n
header = faxgate quickstart node-$n
sim.dial_ms = 1500
sim.page_ms = 3000
sim.busy = ^0399.*
sim.no_answer = ^0398.*
sim.fail = ^0397.*
sim.fail_after_pages = 1
sim.exchange_dir = $run/exchange
INI
done

"$bin/fax-gateway" --config "$run/gateway.ini" user add demo --email demo@example.com <<< "demo" >/dev/null
"$bin/fax-gateway" --config "$run/gateway.ini" user add admin --admin <<< "admin" >/dev/null
"$bin/fax-gateway" --config "$run/gateway.ini" node add node-1 --url http://127.0.0.1:8081 \
  --secret quickstart-secret-1 --priority 1 >/dev/null
"$bin/fax-gateway" --config "$run/gateway.ini" node add node-2 --url http://127.0.0.1:8082 \
  --secret quickstart-secret-2 --priority 2 >/dev/null

/usr/bin/python3 -m aiosmtpd -n -c aiosmtpd.handlers.Debugging -l 127.0.0.1:2526 &
pids+=($!)
"$bin/fax-node" --config "$run/node-1.ini" 2> "$run/node-1.log" &
pids+=($!)
"$bin/fax-node" --config "$run/node-2.ini" 2> "$run/node-2.log" &
pids+=($!)

cat <<TXT

faxgate is running: SMTP 127.0.0.1:2525, IMAP 127.0.0.1:1143, gateway HTTP 127.0.0.1:8080,
nodes 8081 and 8082.
Working directory (store, spools, node logs): $run

Send a fax (the result mail is printed here by the local relay):
  swaks --server 127.0.0.1:2525 --auth PLAIN --au demo --ap demo \\
        --from demo@example.com --to 0312345678@fax.local \\
        --header "Subject: hello fax" --body "Hello from faxgate" --attach @document.pdf

  curl --url smtp://127.0.0.1:2525 --user demo:demo --mail-from demo@example.com \\
       --mail-rcpt 0312345678@fax.local --upload-file mail.eml

Numbers starting 0399 are busy, 0398 never answer, 0397 fail after one page.
0312345002 is node-2's own line: a fax to it is received there and filed, by the
routing table (empty here, so: the administrators), in admin's INBOX. Read it over IMAP:
  python3 -c 'import imaplib; c=imaplib.IMAP4("127.0.0.1",1143); c.login("admin","admin");
              print(c.select("INBOX")); print(c.fetch("1","(BODY[HEADER.FIELDS (SUBJECT)])"))'
Result reports are in each user's "Sent Faxes" folder too. The admin tool:
  FAXGATE_URL=http://127.0.0.1:8080 FAXGATE_USER=admin $bin/fax-admin jobs list
Ctrl-C stops everything.

TXT
"$bin/fax-gateway" --config "$run/gateway.ini" &
pids+=($!)
wait "${pids[-1]}"
