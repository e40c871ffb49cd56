// The node's HTTP listener: Poco's HTTPServer in front of NodeApi (node_api.h). This file only
// deals with sockets, threads and the body-size limit; what a request means is NodeApi's.
// Limits: request bodies larger than max_request_bytes get 413 (checked against
// Content-Length before reading, and while reading for chunked bodies); idle connections are
// closed after `idleTimeoutMs`.
#pragma once

#include <Poco/Net/HTTPServer.h>

#include <cstdint>
#include <memory>
#include <string>

#include "faxnode/node_api.h"

namespace faxgate::node {

struct NodeServerOptions {
    std::string listenAddress = "127.0.0.1";       // IP to bind
    int port = 8081;                               // 0 = any free port (see port())
    int64_t maxRequestBytes = 64LL * 1024 * 1024;  // larger bodies get 413
    int maxThreads = 8;                            // requests handled at once
    int maxQueuedConnections = 64;                 // accepted connections waiting for a thread
    int64_t idleTimeoutMs = 30000;                 // socket receive/keep-alive timeout
};

// Thread-safety: start()/stop() from the owner's thread. Requests run on Poco's pool.
class NodeServer {
  public:
    // Binds the socket at once (so port() is known before start()); throws
    // Poco::Net::NetException if the address is in use.
    NodeServer(const NodeServerOptions& options, NodeApi& api);
    ~NodeServer();

    NodeServer(const NodeServer&) = delete;
    NodeServer& operator=(const NodeServer&) = delete;

    int port() const { return port_; }
    void start();
    // Stops accepting and waits for requests in progress (bounded by the timeouts).
    void stop();

  private:
    int port_ = 0;
    bool running_ = false;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace faxgate::node
