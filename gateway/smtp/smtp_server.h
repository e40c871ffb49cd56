// The SMTP submission listener: accepts connections on a Poco TCPServer and runs one
// SmtpSession per connection on a thread of its own pool. It adds what the state machine
// cannot do: STARTTLS over the socket, the idle timeout (socket receive timeout -> 421 4.4.2),
// the limit on concurrent connections (421 4.3.2), and one log line per session on the Poco
// logger "smtp" (client, user, TLS, messages, how it ended; never passwords or content).
//
// Diagnostics: the constructor throws std::invalid_argument naming the bad option, or
// std::runtime_error when the TLS certificate or key cannot be loaded; start() throws
// Poco::Net::NetException when it cannot listen.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gateway/smtp/smtp_services.h"
#include "gateway/smtp/smtp_session.h"

namespace faxgate::gateway {

struct SmtpServerOptions {
    // Address to listen on: "127.0.0.1", "::", "0.0.0.0", ...
    std::string listenAddress = "127.0.0.1";
    // TCP port; 0 = an ephemeral port (see SmtpServer::port()).
    uint16_t port = 2525;
    // Name in the greeting and the EHLO reply.
    std::string hostname = "localhost";
    // Recipients must be <number>@faxDomain.
    std::string faxDomain = "fax.local";
    // PEM certificate (chain) and private key for STARTTLS; both empty = no STARTTLS.
    std::string tlsCertificateFile;
    std::string tlsPrivateKeyFile;
    // Offer AUTH only after STARTTLS. Needs the TLS files.
    bool requireTlsForAuth = false;
    // Networks (CIDR) whose clients may submit without AUTH, as trustedUser.
    std::vector<std::string> trustedNetworks;
    // User ID for submissions from trustedNetworks; required when trustedNetworks is set.
    std::string trustedUser;
    SmtpLimits limits;
};

struct SmtpServerState;  // shared by the server and its connections (smtp_server.cpp)

// Thread-safety: start(), stop() and port() are called from one controlling thread.
// `services` must outlive the server; it is called from many connection threads at once.
class SmtpServer {
  public:
    SmtpServer(const SmtpServerOptions& options, SmtpServices& services);
    ~SmtpServer();  // stops the server if it runs

    SmtpServer(const SmtpServer&) = delete;
    SmtpServer& operator=(const SmtpServer&) = delete;

    // Binds and starts accepting. Throws if the address cannot be bound.
    void start();
    // Stops accepting, ends the open sessions (421 4.3.2 to idle clients; a submission in
    // progress completes) and waits for their threads. Safe to call twice.
    void stop();
    // The bound port (the ephemeral one when options.port is 0); 0 before start().
    uint16_t port() const;

  private:
    std::shared_ptr<SmtpServerState> shared_;
    struct Running;
    std::unique_ptr<Running> running_;
};

}  // namespace faxgate::gateway
