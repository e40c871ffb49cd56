// The gateway's HTTP listener: the node protocol (/node/v1/..., docs/node-protocol.md), the
// admin API (/api/v1/..., admin_api.h) and a health check. Every answer is JSON; every refusal a status with {"error": reason}.
//
// Limits: request body size, worker threads, queued connections and time-outs come from
// ApiServerOptions. Threading: Poco's HTTPServer runs handlers on its own pool; the handlers
// only call the thread-safe NodeRegistry and Scheduler.
#pragma once

#include <Poco/Net/HTTPServer.h>

#include <cstdint>
#include <memory>
#include <string>

#include "gateway/delivery/inbound_delivery.h"
#include "gateway/nodes/node_registry.h"
#include "gateway/scheduler/scheduler.h"
#include "gateway/store/store.h"

namespace faxgate::gateway {

struct ApiServerOptions {
    std::string listenAddress = "127.0.0.1";
    uint16_t port = 8080;                      // 0 = any free port (tests)
    size_t maxRequestBytes = 1024 * 1024;      // node calls carry records, not documents
    size_t maxInboundBytes = 64 * 1024 * 1024; // POST /node/v1/inbound: a received fax, base64
    int maxThreads = 16;
    int maxQueuedConnections = 64;
    int64_t timeoutMs = 15000;                 // receive/send time-out per connection
};

class ApiServer {
public:
    // `inbound` receives the faxes nodes post (POST /node/v1/inbound); without it that
    // resource answers 503. Everything passed must outlive the server.
    ApiServer(const ApiServerOptions& options, Store& store, NodeRegistry& registry,
              Scheduler& scheduler, InboundDelivery* inbound = nullptr);
    ~ApiServer();
    void start();
    void stop();
    uint16_t port() const;

private:
    std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace faxgate::gateway
