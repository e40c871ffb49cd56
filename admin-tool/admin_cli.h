// fax-admin's command line: finds the gateway and the credentials, parses the command
// (users, nodes, priority, jobs, records, audit; node settings, routing, user-nodes,
// gateway-settings and their versions, history), calls the admin API and prints a table or a
// document (JSON, or YAML with -o yaml), or the gateway's JSON with --json. The commands are
// listed by `fax-admin --help` and documented in docs/admin-tool.md.
//
// Exit codes scripts can trust: 0 ok, 1 the gateway refused or failed (its JSON error is
// printed; also a settings registration that lost to a newer version, 409, and a node that
// refused settings pushed to it), 2 usage error (also an unreadable or malformed -f FILE),
// 3 cannot connect (also an HTTPS certificate that is not trusted), 4 authentication failure
// (401/403).
//
// Credentials: --url/--user, else FAXGATE_URL/FAXGATE_USER/FAXGATE_PASSWORD, else the INI file
// (--config FILE, default ~/.config/faxgate/admin.ini) keys url, user, password. A missing
// password is prompted for without echo when stdin is a terminal, or read as the first line
// of stdin with --password-stdin. A new user's password (users add/passwd) is prompted for
// likewise, or read as the next line of stdin. HTTPS: --ca-file, FAXGATE_CA_FILE or ca_file
// names a PEM CA file trusted besides the system's; --insecure skips the certificate check
// (with a warning on stderr).
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "admin-tool/admin_client.h"

namespace faxgate::admin {

enum ExitCode { kExitOk = 0, kExitRefused = 1, kExitUsage = 2, kExitConnect = 3, kExitAuth = 4 };

// What the CLI touches outside itself, so tests can run it without a terminal or network.
struct CliEnvironment {
    std::ostream* out = nullptr;
    std::ostream* err = nullptr;
    std::istream* in = nullptr;
    bool stdinIsTty = false;
    std::function<std::optional<std::string>(const std::string& name)> getenv;
    // Reads a line from the terminal without echo (only called when stdinIsTty).
    std::function<std::string(const std::string& prompt)> promptPassword;
    // Makes the transport for the resolved connection (tests return a fake).
    std::function<std::unique_ptr<Transport>(const Connection&)> connect;
};

// Runs fax-admin with `args` (without the program name); returns the exit code.
int runAdminCli(const std::vector<std::string>& args, CliEnvironment& environment);

// A plain-text table: a header row, then rows, columns padded to their widest cell.
std::string formatTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows);

// "2024-05-01", "2024-05-01 13:45[:10]", "2024-05-01T13:45:10" (local time) or milliseconds
// since the epoch; nullopt if it is none of these.
std::optional<int64_t> parseDateMs(const std::string& text);
// Local time as "YYYY-MM-DD HH:MM:SS"; "-" for 0.
std::string formatTimeMs(int64_t ms);

// Reads a line from the terminal with echo off (the real promptPassword).
std::string readPasswordNoEcho(const std::string& prompt);

}  // namespace faxgate::admin
