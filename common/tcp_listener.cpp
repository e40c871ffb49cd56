// Connection bookkeeping shared by the line-protocol listeners; see tcp_listener.h.
#include "common/tcp_listener.h"

#include <Poco/Exception.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/TCPServerParams.h>

namespace faxgate {

namespace {
constexpr int kListenBacklog = 64;
}  // namespace

void sendAll(Poco::Net::StreamSocket& socket, const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
        const int n = socket.sendBytes(data.data() + sent, static_cast<int>(data.size() - sent));
        if (n <= 0) throw Poco::Net::NetException("connection closed while sending");
        sent += static_cast<size_t>(n);
    }
}

ConnectionRegistry::Member::Member(ConnectionRegistry& registry, Poco::Net::StreamSocket& socket)
    : registry_(registry), socket_(socket) {
    std::lock_guard<std::mutex> lock(registry_.mutex_);
    arrivedWhileStopping_ = registry_.stopping_;
    registry_.sockets_.insert(&socket_);
    overLimit_ = ++registry_.active_ > registry_.maxConnections_;
}

ConnectionRegistry::Member::~Member() {
    std::lock_guard<std::mutex> lock(registry_.mutex_);
    registry_.sockets_.erase(&socket_);
    --registry_.active_;
}

bool ConnectionRegistry::stopping() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stopping_;
}

void ConnectionRegistry::resume() {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = false;
}

void ConnectionRegistry::stopAll() {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    for (Poco::Net::StreamSocket* socket : sockets_) {
        try {
            socket->shutdownReceive();
        } catch (const Poco::Exception&) {
            // Already closing: nothing to wake.
        }
    }
}

std::unique_ptr<Poco::Net::TCPServer> startTcpServer(Poco::Net::TCPServerConnectionFactory* factory,
                                                     Poco::ThreadPool& pool,
                                                     const std::string& address, uint16_t port,
                                                     int maxThreads, uint16_t& boundPort) {
    Poco::Net::TCPServerConnectionFactory::Ptr owned(factory);
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress(Poco::Net::IPAddress(address), port),
                                   kListenBacklog);
    auto params = new Poco::Net::TCPServerParams;
    params->setMaxThreads(maxThreads);
    params->setMaxQueued(kListenBacklog);
    auto server = std::make_unique<Poco::Net::TCPServer>(owned, pool, socket, params);
    server->start();
    boundPort = socket.address().port();
    return server;
}

}  // namespace faxgate
