// The gateway's HTTP listener: the node protocol (/node/v1/..., docs/node-protocol.md), the
// admin API (/api/v1/..., admin_api.h) and a health check. Every answer is JSON; every refusal a
// status with {"error": reason}.
//
// HTTPS: with a certificate and key in ApiServerOptions the listener speaks TLS only (no
// plain-HTTP port beside it); the context comes from common/tls_server.h, as SMTP's and IMAP's.
//
// Limits: request body size, worker threads, queued connections and time-outs come from
// ApiServerOptions. Threading: Poco's HTTPServer runs handlers on its own pool; the handlers
// only call the thread-safe NodeRegistry and Scheduler.
#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServer.h>

#include <cstdint>
#include <memory>
#include <string>

#include "gateway/api/gateway_settings_api.h"
#include "gateway/delivery/inbound_delivery.h"
#include "gateway/nodes/node_registry.h"
#include "gateway/scheduler/scheduler.h"
#include "gateway/store/store.h"

namespace faxgate::gateway {

struct ApiServerOptions {
    std::string listenAddress = "127.0.0.1";
    uint16_t port = 8080;                       // 0 = any free port (tests)
    size_t maxRequestBytes = 1024 * 1024;       // node calls carry records, not documents
    size_t maxInboundBytes = 64 * 1024 * 1024;  // POST /node/v1/inbound: a received fax, base64
    int maxThreads = 16;
    int maxQueuedConnections = 64;
    int64_t timeoutMs = 15000;       // receive/send time-out per connection
    std::string tlsCertificateFile;  // PEM; set (with the key) = HTTPS only
    std::string tlsPrivateKeyFile;   // PEM
};

class ApiServer {
  public:
    // `inbound` receives the faxes nodes post (POST /node/v1/inbound); without it that
    // resource answers 503. `gatewaySettings` is the running gateway's own settings
    // (/api/v1/gateway-settings, gateway_settings_api.h); without it those answer 503.
    // Everything passed must outlive the server. Throws
    // std::runtime_error naming the files if the TLS certificate or key cannot be loaded.
    ApiServer(const ApiServerOptions& options, Store& store, NodeRegistry& registry,
              Scheduler& scheduler, InboundDelivery* inbound = nullptr,
              GatewaySettingsHost* gatewaySettings = nullptr);
    ~ApiServer();
    void start();
    void stop();
    uint16_t port() const;

    bool tls() const { return !tlsContext_.isNull(); }

  private:
    Poco::Net::Context::Ptr tlsContext_;  // null: plain HTTP; outlives server_
    std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace faxgate::gateway
