// SmtpServer: Poco TCPServer + one SmtpSession per connection. See smtp_server.h.
#include "gateway/smtp/smtp_server.h"

#include <atomic>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>

#include "Poco/Exception.h"
#include "Poco/Logger.h"
#include "Poco/Net/Context.h"
#include "Poco/Net/NetException.h"
#include "Poco/Net/SecureStreamSocket.h"
#include "Poco/Net/SocketAddress.h"
#include "Poco/Net/StreamSocket.h"
#include "Poco/Net/TCPServer.h"
#include "Poco/Net/TCPServerConnection.h"
#include "Poco/Net/TCPServerConnectionFactory.h"
#include "Poco/ThreadPool.h"
#include "Poco/Timespan.h"
#include "common/tcp_listener.h"
#include "common/tls_server.h"
#include "gateway/smtp/network_list.h"

namespace faxgate::gateway {
namespace {

// Threads beyond maxConnections, so that a client over the limit still gets a thread that
// tells it 421 instead of waiting silently in the accept queue.
constexpr int kSpareThreads = 4;
constexpr size_t kReceiveBufferBytes = 16 * 1024;
constexpr size_t kMinCommandLineBytes = 512;  // RFC 5321 4.5.3.1.4
constexpr size_t kMinDataLineBytes = 1000;    // RFC 5321 4.5.3.1.6
constexpr int64_t kMinIdleTimeoutMs = 100;
constexpr size_t kMaxConnectionsLimit = 10000;

void require(bool condition, const std::string& option, const std::string& problem) {
    if (!condition) throw std::invalid_argument("smtp option " + option + ": " + problem);
}

bool isPlainToken(const std::string& text) {
    if (text.empty() || text.size() > 253) return false;
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte >= 0x7f || c == '@' || c == '<' || c == '>') return false;
    }
    return true;
}

void validate(const SmtpServerOptions& options) {
    Poco::Net::IPAddress address;
    require(Poco::Net::IPAddress::tryParse(options.listenAddress, address), "listenAddress",
            "'" + options.listenAddress + "' is not an IP address");
    require(isPlainToken(options.hostname), "hostname", "must be a host name");
    require(isPlainToken(options.faxDomain), "faxDomain", "must be a domain name");
    require(options.tlsCertificateFile.empty() == options.tlsPrivateKeyFile.empty(),
            "tlsCertificateFile/tlsPrivateKeyFile", "set both or neither");
    require(!options.requireTlsForAuth || !options.tlsCertificateFile.empty(), "requireTlsForAuth",
            "needs tlsCertificateFile and tlsPrivateKeyFile");
    require(options.trustedNetworks.empty() || isPlainToken(options.trustedUser), "trustedUser",
            "must be set to a user ID when trustedNetworks is set");
    const SmtpLimits& limits = options.limits;
    require(limits.maxMessageBytes >= 1024, "maxMessageBytes", "must be at least 1024");
    require(limits.maxRecipients >= 1, "maxRecipients", "must be at least 1");
    require(limits.maxCommandLineBytes >= kMinCommandLineBytes, "maxCommandLineBytes",
            "must be at least " + std::to_string(kMinCommandLineBytes) + " (RFC 5321)");
    require(limits.maxDataLineBytes >= kMinDataLineBytes, "maxDataLineBytes",
            "must be at least " + std::to_string(kMinDataLineBytes) + " (RFC 5321)");
    require(limits.idleTimeoutMs >= kMinIdleTimeoutMs, "idleTimeoutMs",
            "must be at least " + std::to_string(kMinIdleTimeoutMs));
    require(limits.maxConnections >= 1 && limits.maxConnections <= kMaxConnectionsLimit,
            "maxConnections", "must be 1.." + std::to_string(kMaxConnectionsLimit));
    require(limits.maxAuthFailures >= 1, "maxAuthFailures", "must be at least 1");
    require(limits.maxErrors >= 1, "maxErrors", "must be at least 1");
}

}  // namespace

// What the server and its connection threads share. Lives as long as the last connection.
struct SmtpServerState {
    SmtpServerState(const SmtpServerOptions& serverOptions, SmtpServices& smtpServices)
        : options(serverOptions),
          services(smtpServices),
          connections(serverOptions.limits.maxConnections) {}

    const SmtpServerOptions options;
    SmtpSessionOptions sessionOptions;
    SmtpServices& services;
    NetworkList trustedNetworks;
    Poco::Net::Context::Ptr tlsContext;  // null = no STARTTLS
    Poco::Logger& logger = Poco::Logger::get("smtp");

    ConnectionRegistry connections;
};

// One client connection, on a thread of the server's pool.
class SmtpConnection : public Poco::Net::TCPServerConnection {
  public:
    SmtpConnection(const Poco::Net::StreamSocket& socket, std::shared_ptr<SmtpServerState> shared)
        : TCPServerConnection(socket), shared_(std::move(shared)) {}

    void run() override;

  private:
    void converse(SmtpSession& session);
    void logSession(const std::string& client, const SmtpSession& session);
    bool stopping() { return shared_->connections.stopping(); }

    std::shared_ptr<SmtpServerState> shared_;
    // After STARTTLS; declared before anything that must go before it closes the socket.
    std::optional<Poco::Net::SecureStreamSocket> secure_;
};

void SmtpConnection::run() {
    Poco::Net::StreamSocket& plain = socket();
    std::string client = "unknown";
    Poco::Net::IPAddress clientHost;
    try {
        const Poco::Net::SocketAddress peer = plain.peerAddress();
        client = peer.toString();
        clientHost = peer.host();
    } catch (const Poco::Exception&) {
        return;  // gone before we looked
    }
    {
        ConnectionRegistry::Member registration(shared_->connections, plain);
        const SmtpSessionOptions& options = shared_->sessionOptions;
        try {
            const Poco::Timespan timeout(options.limits.idleTimeoutMs * 1000);
            plain.setReceiveTimeout(timeout);
            plain.setSendTimeout(timeout);
            plain.setNoDelay(true);
            if (registration.arrivedWhileStopping()) {
                sendAll(plain,
                        formatSmtpReply(421, "4.3.2", options.hostname + " Service shutting down"));
                return;
            }
            if (registration.overLimit()) {
                sendAll(plain, formatSmtpReply(
                                   421, "4.3.2",
                                   options.hostname + " Too many connections, try again later"));
                shared_->logger.warning("session client=" + client + " end=too many connections");
                return;
            }
        } catch (const Poco::Exception&) {
            return;
        }
        SmtpSession session(options, shared_->services, client,
                            shared_->trustedNetworks.contains(clientHost));
        converse(session);
        logSession(client, session);
    }
    // Registration is gone: stop() cannot touch the socket any more; now close TLS.
    secure_.reset();
}

void SmtpConnection::converse(SmtpSession& session) {
    Poco::Net::StreamSocket& plain = socket();
    auto active = [&]() -> Poco::Net::StreamSocket& {
        return secure_ ? static_cast<Poco::Net::StreamSocket&>(*secure_) : plain;
    };
    std::string buffer(kReceiveBufferBytes, '\0');
    std::string output;
    try {
        sendAll(active(), session.greeting());
        while (!session.closed()) {
            int received = 0;
            try {
                received = active().receiveBytes(buffer.data(), static_cast<int>(buffer.size()));
            } catch (const Poco::TimeoutException&) {
                sendAll(active(), session.timeout());
                break;
            }
            if (received <= 0) {
                if (stopping()) {
                    // stop() shut our reading side; the writing side still works.
                    sendAll(active(), formatSmtpReply(421, "4.3.2",
                                                      shared_->sessionOptions.hostname +
                                                          " Service shutting down"));
                    session.connectionLost("server stopping");
                } else {
                    session.connectionLost("client disconnected");
                }
                break;
            }
            output.clear();
            const SmtpAction action = session.consume(
                std::string_view(buffer.data(), static_cast<size_t>(received)), output);
            sendAll(active(), output);
            if (action == SmtpAction::StartTls) {
                try {
                    startServerTls(secure_, plain, shared_->tlsContext);
                } catch (const Poco::Exception& error) {
                    session.connectionLost("TLS handshake failed: " + error.displayText());
                    break;
                }
                session.tlsStarted();
            }
        }
    } catch (const Poco::Exception& error) {
        session.connectionLost(stopping() ? std::string("server stopping")
                                          : "connection error: " + error.displayText());
    } catch (const std::exception& error) {
        session.connectionLost(std::string("connection error: ") + error.what());
    }
}

void SmtpConnection::logSession(const std::string& client, const SmtpSession& session) {
    const SmtpSessionSummary& summary = session.summary();
    std::string line = "session client=" + client;
    line += " user=" + (summary.user.empty() ? std::string("-") : summary.user);
    line += std::string(" tls=") + (session.tlsActive() ? "yes" : "no");
    line += " accepted=" + std::to_string(summary.messagesAccepted);
    line += " refused=" + std::to_string(summary.messagesRefused);
    if (!summary.lastRefusal.empty()) line += " lastRefusal=\"" + summary.lastRefusal + "\"";
    line += " authFailures=" + std::to_string(summary.authFailures);
    line += " errors=" + std::to_string(summary.errors);
    line += " end=\"" + summary.endReason + "\"";
    if (summary.authFailures >= shared_->sessionOptions.limits.maxAuthFailures)
        shared_->logger.warning(line);
    else
        shared_->logger.information(line);
}

namespace {

class SmtpConnectionFactory : public Poco::Net::TCPServerConnectionFactory {
  public:
    explicit SmtpConnectionFactory(std::shared_ptr<SmtpServerState> shared)
        : shared_(std::move(shared)) {}

    Poco::Net::TCPServerConnection* createConnection(
        const Poco::Net::StreamSocket& socket) override {
        return new SmtpConnection(socket, shared_);
    }

  private:
    std::shared_ptr<SmtpServerState> shared_;
};

}  // namespace

struct SmtpServer::Running {
    std::unique_ptr<Poco::ThreadPool> threadPool;
    std::unique_ptr<Poco::Net::TCPServer> server;
    uint16_t port = 0;
};

SmtpServer::SmtpServer(const SmtpServerOptions& options, SmtpServices& services) {
    validate(options);
    auto shared = std::make_shared<SmtpServerState>(options, services);
    try {
        shared->trustedNetworks = NetworkList::parse(options.trustedNetworks);
    } catch (const std::invalid_argument& error) {
        throw std::invalid_argument(std::string("smtp option trustedNetworks: ") + error.what());
    }
    if (!options.tlsCertificateFile.empty()) {
        shared->tlsContext =
            loadTlsServerContext("smtp", options.tlsCertificateFile, options.tlsPrivateKeyFile);
    }
    SmtpSessionOptions& session = shared->sessionOptions;
    session.hostname = options.hostname;
    session.faxDomain = options.faxDomain;
    session.tlsAvailable = !shared->tlsContext.isNull();
    session.requireTlsForAuth = options.requireTlsForAuth;
    session.trustedUser = options.trustedUser;
    session.limits = options.limits;
    shared_ = std::move(shared);
}

SmtpServer::~SmtpServer() {
    try {
        stop();
    } catch (...) {
        // Destructors must not throw; stop() only fails if a thread cannot be joined.
    }
    releaseTlsServerContext(shared_->tlsContext);
}

void SmtpServer::start() {
    if (running_) return;
    shared_->connections.resume();
    const SmtpServerOptions& options = shared_->options;
    const int maxThreads = static_cast<int>(options.limits.maxConnections) + kSpareThreads;
    auto running = std::make_unique<Running>();
    running->threadPool = std::make_unique<Poco::ThreadPool>("smtp", 2, maxThreads);
    running->server =
        startTcpServer(new SmtpConnectionFactory(shared_), *running->threadPool,
                       options.listenAddress, options.port, maxThreads, running->port);
    shared_->logger.information("listening on " + options.listenAddress + " port " +
                                std::to_string(running->port) +
                                (shared_->sessionOptions.tlsAvailable ? " (STARTTLS)" : ""));
    running_ = std::move(running);
}

void SmtpServer::stop() {
    if (!running_) return;
    running_->server->stop();  // no new connections; queued ones are dropped
    shared_->connections.stopAll();
    running_->threadPool->joinAll();
    running_.reset();
}

uint16_t SmtpServer::port() const { return running_ ? running_->port : 0; }

}  // namespace faxgate::gateway
