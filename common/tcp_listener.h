// What the gateway's line-protocol listeners (SMTP, IMAP) share around their sessions: the
// registry of open connections (counted against a limit, woken at stop), writing a whole
// reply to a socket, and starting a Poco TCPServer on an address and port.
//
// The protocol itself stays in each server's session state machine; this is only the
// socket bookkeeping that would otherwise be written once per listener.
#pragma once

#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/ThreadPool.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace faxgate {

// Writes all of `data`; throws Poco::Net::NetException if the peer closed the connection
// (and Poco's TimeoutException when the socket's send time-out expires).
void sendAll(Poco::Net::StreamSocket& socket, const std::string& data);

// The open connections of one server. A connection registers for the scope of its run()
// (Member); stopAll() marks the server stopping and shuts the reading side of every
// registered socket, so threads blocked in a read wake up and can say goodbye.
// Thread-safety: every method may be called from any thread (one mutex).
class ConnectionRegistry {
  public:
    explicit ConnectionRegistry(size_t maxConnections) : maxConnections_(maxConnections) {}

    class Member {
      public:
        Member(ConnectionRegistry& registry, Poco::Net::StreamSocket& socket);
        ~Member();
        Member(const Member&) = delete;
        Member& operator=(const Member&) = delete;

        // The server was already stopping when this connection arrived.
        bool arrivedWhileStopping() const { return arrivedWhileStopping_; }
        // This connection is beyond maxConnections (counting itself): refuse it politely.
        bool overLimit() const { return overLimit_; }

      private:
        ConnectionRegistry& registry_;
        Poco::Net::StreamSocket& socket_;
        bool arrivedWhileStopping_ = false;
        bool overLimit_ = false;
    };

    bool stopping() const;
    // Accept connections again (the server starts).
    void resume();
    // See the class comment. Connections that register afterwards see arrivedWhileStopping.
    void stopAll();

  private:
    const size_t maxConnections_;
    mutable std::mutex mutex_;
    std::set<Poco::Net::StreamSocket*> sockets_;  // REQUIRES mutex_
    size_t active_ = 0;                           // REQUIRES mutex_
    bool stopping_ = false;                       // REQUIRES mutex_
};

// Binds address:port (port 0 = any free port, then `boundPort` tells which), and starts a
// TCPServer that runs `factory`'s connections on `pool` with at most `maxThreads` threads
// and 64 queued connections. Throws Poco exceptions if the address cannot be bound.
std::unique_ptr<Poco::Net::TCPServer> startTcpServer(Poco::Net::TCPServerConnectionFactory* factory,
                                                     Poco::ThreadPool& pool,
                                                     const std::string& address, uint16_t port,
                                                     int maxThreads, uint16_t& boundPort);

}  // namespace faxgate
