// The IMAP listener: a Poco TCPServer running one ImapSession per connection on a thread of
// its own pool, on a plain port (with STARTTLS when a certificate is configured) and
// optionally an implicit-TLS port (993-style). It adds what the state machine cannot do:
// TLS, the login and idle timeouts (BYE, then close), polling the store while a client
// idles, the limits on connections overall and per user, and one log line per session on
// the Poco logger "imap" (client, user, TLS, counts, how it ended; never passwords or mail).
//
// Diagnostics: the constructor throws std::invalid_argument naming the bad option, or
// std::runtime_error when the TLS certificate or key cannot be loaded; start() throws
// Poco::Net::NetException when it cannot listen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "gateway/store/store.h"

namespace faxgate::gateway {

struct ImapServerOptions {
    // Address to listen on: "127.0.0.1", "::", "0.0.0.0", ...
    std::string listenAddress = "127.0.0.1";
    // Plain port (STARTTLS offered when TLS files are set); 0 = an ephemeral port.
    uint16_t port = 1143;
    // Implicit-TLS port (like 993); 0 = off. Needs the TLS files. Use implicitTlsEphemeral
    // for an ephemeral implicit-TLS port in tests.
    uint16_t implicitTlsPort = 0;
    bool implicitTlsEphemeral = false;
    // Name in the greeting.
    std::string hostname = "localhost";
    // PEM certificate (chain) and private key; both empty = no TLS.
    std::string tlsCertificateFile;
    std::string tlsPrivateKeyFile;
    // LOGIN / AUTHENTICATE without TLS. false needs the TLS files.
    bool allowPlaintextLogin = true;
    // Longest command line, literals not counted.
    size_t maxCommandBytes = 65536;
    // Largest literal a client may send.
    size_t maxLiteralBytes = 1024 * 1024;
    // Silence after login before the server says BYE (RFC 3501: at least 30 minutes).
    int64_t idleTimeoutMs = 1800000;
    // Time to log in after connecting.
    int64_t loginTimeoutMs = 60000;
    // Open connections; more are greeted with BYE and closed.
    size_t maxConnections = 200;
    // Logged-in sessions per user; more logins are refused with NO.
    size_t maxConnectionsPerUser = 10;
    // Failed logins before a session is closed.
    int maxAuthFailures = 3;
    // How often an idling session looks for new messages in the store.
    int64_t idlePollMs = 1000;
};

struct ImapServerState;  // shared by the server and its connections (imap_server.cpp)

// Thread-safety: start(), stop(), port() and tlsPort() are called from one controlling
// thread. `store` must outlive the server; it is used from many connection threads at once.
class ImapServer {
  public:
    ImapServer(const ImapServerOptions& options, Store& store);
    ~ImapServer();  // stops the server if it runs

    ImapServer(const ImapServer&) = delete;
    ImapServer& operator=(const ImapServer&) = delete;

    // Binds and starts accepting. Throws if an address cannot be bound.
    void start();
    // Stops accepting, says BYE to the open sessions and waits for their threads. Safe to
    // call twice.
    void stop();
    // The bound ports (ephemeral ones when configured so); 0 before start() / when off.
    uint16_t port() const;
    uint16_t tlsPort() const;

  private:
    std::shared_ptr<ImapServerState> shared_;
    struct Running;
    std::unique_ptr<Running> running_;
};

}  // namespace faxgate::gateway
