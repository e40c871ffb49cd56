// ImapServer: Poco TCPServer + one ImapSession per connection. See imap_server.h.
// TLS (common/tls_server.h) as in gateway/smtp/smtp_server.cpp: the server-side context is
// loaded once, and TLS is started on the accepted socket for STARTTLS and for the
// implicit-TLS port.
#include "gateway/imap/imap_server.h"

#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/ThreadPool.h>
#include <Poco/Timespan.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>

#include "common/tcp_listener.h"
#include "common/tls_server.h"
#include "gateway/imap/imap_session.h"

namespace faxgate::gateway {
namespace {

constexpr int kSpareThreads = 4;
constexpr size_t kReceiveBufferBytes = 16 * 1024;
constexpr int64_t kMinIdleTimeoutMs = 100;
constexpr size_t kMaxConnectionsLimit = 10000;
constexpr size_t kMinCommandBytes = 1024;

void require(bool condition, const std::string& option, const std::string& problem) {
    if (!condition) throw std::invalid_argument("imap option " + option + ": " + problem);
}

void validate(const ImapServerOptions& options) {
    Poco::Net::IPAddress address;
    require(Poco::Net::IPAddress::tryParse(options.listenAddress, address), "listenAddress",
            "'" + options.listenAddress + "' is not an IP address");
    require(!options.hostname.empty() && options.hostname.size() <= 253 &&
                options.hostname.find_first_of(" \t\r\n") == std::string::npos,
            "hostname", "must be a host name");
    const bool tls = !options.tlsCertificateFile.empty();
    require(tls == !options.tlsPrivateKeyFile.empty(), "tlsCertificateFile/tlsPrivateKeyFile",
            "set both or neither");
    require(tls || (options.implicitTlsPort == 0 && !options.implicitTlsEphemeral),
            "implicitTlsPort", "needs tlsCertificateFile and tlsPrivateKeyFile");
    require(tls || options.allowPlaintextLogin, "allowPlaintextLogin",
            "false needs tlsCertificateFile and tlsPrivateKeyFile");
    require(options.maxCommandBytes >= kMinCommandBytes, "maxCommandBytes",
            "must be at least " + std::to_string(kMinCommandBytes));
    require(options.maxLiteralBytes >= 1024, "maxLiteralBytes", "must be at least 1024");
    require(options.idleTimeoutMs >= kMinIdleTimeoutMs, "idleTimeoutMs",
            "must be at least " + std::to_string(kMinIdleTimeoutMs));
    require(options.loginTimeoutMs >= kMinIdleTimeoutMs, "loginTimeoutMs",
            "must be at least " + std::to_string(kMinIdleTimeoutMs));
    require(options.maxConnections >= 1 && options.maxConnections <= kMaxConnectionsLimit,
            "maxConnections", "must be 1.." + std::to_string(kMaxConnectionsLimit));
    require(options.maxConnectionsPerUser >= 1, "maxConnectionsPerUser", "must be at least 1");
    require(options.maxAuthFailures >= 1, "maxAuthFailures", "must be at least 1");
    require(options.idlePollMs >= 10, "idlePollMs", "must be at least 10");
}

int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

struct ImapServerState {
    ImapServerState(const ImapServerOptions& serverOptions, Store& imapStore)
        : options(serverOptions), store(imapStore), connections(serverOptions.maxConnections) {}

    const ImapServerOptions options;
    ImapSessionOptions sessionOptions;
    Store& store;
    ImapRecentRegistry recent;
    Poco::Net::Context::Ptr tlsContext;  // null = no TLS
    Poco::Logger& logger = Poco::Logger::get("imap");

    ConnectionRegistry connections;

    // REQUIRES: mutex held for sessionsPerUser.
    std::mutex mutex;
    std::map<std::string, size_t> sessionsPerUser;

    bool admitUser(const std::string& user) {
        std::lock_guard<std::mutex> lock(mutex);
        size_t& count = sessionsPerUser[user];
        if (count >= options.maxConnectionsPerUser) return false;
        ++count;
        return true;
    }
    void releaseUser(const std::string& user) {
        std::lock_guard<std::mutex> lock(mutex);
        auto it = sessionsPerUser.find(user);
        if (it == sessionsPerUser.end()) return;
        if (--it->second == 0) sessionsPerUser.erase(it);
    }
};

class ImapConnection : public Poco::Net::TCPServerConnection {
  public:
    ImapConnection(const Poco::Net::StreamSocket& socket, std::shared_ptr<ImapServerState> shared,
                   bool implicitTls)
        : TCPServerConnection(socket), shared_(std::move(shared)), implicitTls_(implicitTls) {}

    void run() override;

  private:
    void converse(ImapSession& session);
    void logSession(const std::string& client, const ImapSession& session);
    bool stopping() { return shared_->connections.stopping(); }
    Poco::Net::StreamSocket& active() {
        return secure_ ? static_cast<Poco::Net::StreamSocket&>(*secure_) : socket();
    }

    std::shared_ptr<ImapServerState> shared_;
    bool implicitTls_;
    std::optional<Poco::Net::SecureStreamSocket> secure_;
};

void ImapConnection::run() {
    Poco::Net::StreamSocket& plain = socket();
    std::string client = "unknown";
    try {
        client = plain.peerAddress().toString();
    } catch (const Poco::Exception&) {
        return;
    }
    {
        ConnectionRegistry::Member registration(shared_->connections, plain);
        const bool wasStopping = registration.arrivedWhileStopping();
        const bool admitted = !registration.overLimit();
        try {
            plain.setNoDelay(true);
            plain.setSendTimeout(Poco::Timespan(shared_->options.idleTimeoutMs * 1000));
            if (implicitTls_) startServerTls(secure_, plain, shared_->tlsContext);
            if (wasStopping || !admitted) {
                sendAll(active(), wasStopping ? "* BYE Server shutting down\r\n"
                                              : "* BYE Too many connections, try again later\r\n");
                if (!admitted)
                    shared_->logger.warning("session client=" + client +
                                            " end=\"too many connections\"");
            } else {
                ImapSession session(shared_->sessionOptions, shared_->store, shared_->recent,
                                    [state = shared_.get()](const std::string& user) {
                                        return state->admitUser(user);
                                    });
                if (implicitTls_) session.tlsStarted();
                converse(session);
                if (session.authenticated()) shared_->releaseUser(session.summary().user);
                logSession(client, session);
            }
        } catch (const Poco::Exception& error) {
            shared_->logger.information("session client=" + client + " end=\"" +
                                        error.displayText() + "\"");
        }
    }
    // The registration is gone: stop() cannot touch the socket any more; now close TLS.
    secure_.reset();
}

void ImapConnection::converse(ImapSession& session) {
    const ImapServerOptions& options = shared_->options;
    std::string buffer(kReceiveBufferBytes, '\0');
    std::string output;
    try {
        sendAll(active(), session.greeting());
        int64_t lastActivityMs = nowMs();
        while (!session.closed()) {
            const int64_t limitMs =
                session.authenticated() ? options.idleTimeoutMs : options.loginTimeoutMs;
            const int64_t remainingMs = lastActivityMs + limitMs - nowMs();
            if (remainingMs <= 0) {
                sendAll(active(), session.timeout());
                break;
            }
            const int64_t waitMs =
                session.idling() ? std::min(remainingMs, options.idlePollMs) : remainingMs;
            active().setReceiveTimeout(Poco::Timespan(waitMs * 1000));
            int received = 0;
            try {
                received = active().receiveBytes(buffer.data(), static_cast<int>(buffer.size()));
            } catch (const Poco::TimeoutException&) {
                if (session.idling()) {
                    output.clear();
                    session.mailboxChanged(output);
                    if (!output.empty()) sendAll(active(), output);
                }
                continue;
            }
            if (received <= 0) {
                if (stopping()) {
                    sendAll(active(), "* BYE Server shutting down\r\n");
                    session.connectionLost("server stopping");
                } else {
                    session.connectionLost("client disconnected");
                }
                break;
            }
            lastActivityMs = nowMs();
            output.clear();
            const ImapAction action = session.consume(
                std::string_view(buffer.data(), static_cast<size_t>(received)), output);
            sendAll(active(), output);
            if (action == ImapAction::StartTls) {
                try {
                    startServerTls(secure_, socket(), shared_->tlsContext);
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

void ImapConnection::logSession(const std::string& client, const ImapSession& session) {
    const ImapSessionSummary& summary = session.summary();
    std::string line = "session client=" + client;
    line += " user=" + (summary.user.empty() ? std::string("-") : summary.user);
    line += std::string(" tls=") + (session.tlsActive() ? "yes" : "no");
    line += " commands=" + std::to_string(summary.commands);
    line += " fetched=" + std::to_string(summary.messagesFetched);
    line += " expunged=" + std::to_string(summary.messagesExpunged);
    line += " authFailures=" + std::to_string(summary.authFailures);
    line += " end=\"" + summary.endReason + "\"";
    if (summary.authFailures >= shared_->options.maxAuthFailures)
        shared_->logger.warning(line);
    else
        shared_->logger.information(line);
}

namespace {

class ImapConnectionFactory : public Poco::Net::TCPServerConnectionFactory {
  public:
    ImapConnectionFactory(std::shared_ptr<ImapServerState> shared, bool implicitTls)
        : shared_(std::move(shared)), implicitTls_(implicitTls) {}

    Poco::Net::TCPServerConnection* createConnection(
        const Poco::Net::StreamSocket& socket) override {
        return new ImapConnection(socket, shared_, implicitTls_);
    }

  private:
    std::shared_ptr<ImapServerState> shared_;
    bool implicitTls_;
};

}  // namespace

struct ImapServer::Running {
    std::unique_ptr<Poco::ThreadPool> threadPool;
    std::unique_ptr<Poco::Net::TCPServer> server;
    std::unique_ptr<Poco::Net::TCPServer> tlsServer;
    uint16_t port = 0;
    uint16_t tlsPort = 0;
};

ImapServer::ImapServer(const ImapServerOptions& options, Store& store) {
    validate(options);
    auto shared = std::make_shared<ImapServerState>(options, store);
    if (!options.tlsCertificateFile.empty()) {
        shared->tlsContext =
            loadTlsServerContext("imap", options.tlsCertificateFile, options.tlsPrivateKeyFile);
    }
    ImapSessionOptions& session = shared->sessionOptions;
    session.hostname = options.hostname;
    session.tlsAvailable = !shared->tlsContext.isNull();
    session.allowPlaintextLogin = options.allowPlaintextLogin;
    session.maxCommandBytes = options.maxCommandBytes;
    session.maxLiteralBytes = options.maxLiteralBytes;
    session.maxAuthFailures = options.maxAuthFailures;
    shared_ = std::move(shared);
}

ImapServer::~ImapServer() {
    try {
        stop();
    } catch (...) {
        // Destructors must not throw; stop() only fails if a thread cannot be joined.
    }
    releaseTlsServerContext(shared_->tlsContext);
}

void ImapServer::start() {
    if (running_) return;
    shared_->connections.resume();
    const ImapServerOptions& options = shared_->options;
    const int maxThreads = static_cast<int>(options.maxConnections) + kSpareThreads;
    auto running = std::make_unique<Running>();
    running->threadPool = std::make_unique<Poco::ThreadPool>("imap", 2, maxThreads);
    auto listen = [&](uint16_t port, bool implicitTls, uint16_t& boundPort) {
        return startTcpServer(new ImapConnectionFactory(shared_, implicitTls), *running->threadPool,
                              options.listenAddress, port, maxThreads, boundPort);
    };
    running->server = listen(options.port, false, running->port);
    if (options.implicitTlsPort != 0 || options.implicitTlsEphemeral)
        running->tlsServer = listen(options.implicitTlsPort, true, running->tlsPort);
    shared_->logger.information(
        "listening on " + options.listenAddress + " port " + std::to_string(running->port) +
        (shared_->sessionOptions.tlsAvailable ? " (STARTTLS)" : "") +
        (running->tlsPort != 0 ? ", implicit TLS port " + std::to_string(running->tlsPort) : ""));
    running_ = std::move(running);
}

void ImapServer::stop() {
    if (!running_) return;
    running_->server->stop();
    if (running_->tlsServer) running_->tlsServer->stop();
    shared_->connections.stopAll();
    running_->threadPool->joinAll();
    running_.reset();
}

uint16_t ImapServer::port() const { return running_ ? running_->port : 0; }
uint16_t ImapServer::tlsPort() const { return running_ ? running_->tlsPort : 0; }

}  // namespace faxgate::gateway
