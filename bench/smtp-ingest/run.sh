#!/usr/bin/env bash
# SMTP intake benchmark: Postfix's smtp-source sends the same messages (a mail with a 30 KB
# PDF attachment) in 20 parallel sessions to the gateway and to Postfix's smtp-sink, in one
# run, and prints both rates and their ratio. The gateway commits every message and its job
# durably (SQLite WAL, synchronous=FULL) before it answers 250; smtp-sink stores nothing,
# so it is the ceiling of what the client and the loopback can do.
#
#   bench/smtp-ingest/run.sh [messages]      (default 2000; build first: contrib/build.sh)
# smtp-source has no AUTH, so the gateway trusts 127.0.0.1 for this run (smtp.trusted_networks).
# FAXGATE_BENCH_PERF=FILE records a CPU profile of the gateway during its run (perf record).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin="${FAXGATE_BUILD_DIR:-$top/build}/bin"
messages="${1:-2000}"
sessions=20
export PATH="$PATH:/usr/sbin"

run=$(mktemp -d /tmp/faxgate-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$run"; }
trap cleanup EXIT

port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }

TOP="$top" /usr/bin/python3 - "$run/message.eml" <<'PY'
import base64, os, sys
sys.path.insert(0, os.path.join(os.environ["TOP"], "tests/e2e"))
import documents
pdf = documents.pdf(1)
# Pad to 30 KB with a PDF comment block, which every reader skips.
while len(pdf) < 30000:
    pdf = pdf.replace(b"%PDF-1.4\n", b"%PDF-1.4\n%" + b"y" * 98 + b"\n", 1)
b64 = base64.encodebytes(pdf).decode().replace("\n", "\r\n")
msg = ("From: bench@example.com\r\nSubject: ingest benchmark\r\nMIME-Version: 1.0\r\n"
       "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
       "benchmark\r\n--b\r\nContent-Type: application/pdf; name=doc.pdf\r\n"
       "Content-Transfer-Encoding: base64\r\n\r\n" + b64 + "--b--\r\n")
open(sys.argv[1], "w").write(msg)
PY

smtp_port=$(port); http_port=$(port); sink_port=$(port)
cat > "$run/gateway.ini" <<INI
[gateway]
data_dir = $run/gateway
templates_dir = $top/templates
[smtp]
port = $smtp_port
trusted_networks = 127.0.0.1/32
trusted_user = bench
max_connections = 64
[http]
port = $http_port
[intake]
conversion_threads = 1
INI
echo bench | "$bin/fax-gateway" --config "$run/gateway.ini" user add bench >/dev/null
"$bin/fax-gateway" --config "$run/gateway.ini" 2> "$run/gateway.log" & pids+=($!)
smtp-sink -u nobody -c 127.0.0.1:$sink_port 256 > /dev/null & pids+=($!)
wait_port "$smtp_port"; wait_port "$sink_port"

measure() {  # port -> messages per second
  local start end
  start=$(date +%s.%N)
  smtp-source -s $sessions -m "$messages" -f bench@example.com -t 0312345678@fax.local \
    -F "$run/message.eml" 127.0.0.1:"$1"
  end=$(date +%s.%N)
  /usr/bin/python3 -c "print(f'{$messages / ($end - $start):.0f}')"
}

sink_rate=$(measure "$sink_port")
[ -n "${FAXGATE_BENCH_PERF:-}" ] && { perf record -F 999 -g -p "${pids[0]}" -o "$FAXGATE_BENCH_PERF" 2>/dev/null & pids+=($!); sleep 0.5; }
gateway_rate=$(measure "$smtp_port")
stored=$(/usr/bin/python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from submissions').fetchone()[0])" "$run/gateway/faxgate.db")
echo "smtp-sink:  $sink_rate messages/s"
echo "gateway:    $gateway_rate messages/s ($stored of $messages stored durably)"
/usr/bin/python3 -c "r=$gateway_rate/$sink_rate; print(f'ratio:      {r:.2f} of smtp-sink (goal: at least 0.50) -> {\"met\" if r >= 0.5 else \"NOT met\"}')"
