// The fax node program as a library: FaxNode wires the configuration to the parts
//   gateway -> NodeServer -> NodeApi -> LineManager <-> lines (lines/*) <- inbound calls
//                               |            | records, receptions
//                               v            v
//                     SettingsApplier    RecordSpool
//                               ^            |
//   gateway <-> GatewayLink (hello, heartbeat, records, inbound)
// and starts and stops them in the right order. The lines, time zone and gateway secret come
// from <spool_dir>/settings.json when the gateway has pushed settings, else from the INI file.
// main.cpp only parses options, loads the configuration and calls start()/stop().
#pragma once

#include <memory>
#include <string>

#include "faxnode/gateway_link.h"
#include "faxnode/line_manager.h"
#include "faxnode/node_api.h"
#include "faxnode/node_config.h"
#include "faxnode/node_server.h"
#include "faxnode/record_spool.h"
#include "faxnode/settings_applier.h"

namespace faxgate::node {

// Thread-safety: start()/stop() from one thread. Not restartable: one start(), one stop().
class FaxNode {
  public:
    // Builds nothing yet; the configuration must already be valid (loadNodeConfig()).
    explicit FaxNode(NodeConfig config);
    ~FaxNode();

    FaxNode(const FaxNode&) = delete;
    FaxNode& operator=(const FaxNode&) = delete;

    // Opens the spool, reads <spool_dir>/settings.json if there is one, creates the lines,
    // lets them receive (each line's inbox is <spool_dir>/inbox/<line id>/), binds the API
    // port, starts saying hello. Throws (SpoolError, settings::SettingsError naming
    // settings.json, Poco::Net::NetException, std::invalid_argument) with the reason.
    void start();

    // Graceful: stops taking jobs, lets calls in progress finish for shutdown_grace_ms, then
    // cancels the rest; their records stay in the spool for the next start. Idempotent.
    void stop();

    // The API port actually bound (differs from the configuration when that says 0).
    int port() const;
    // Valid after start(); for tests and the status log.
    GatewayLink& link() { return *link_; }
    LineManager& lines() { return *lines_; }
    RecordSpool& spool() { return *spool_; }
    SettingsApplier& settings() { return *settings_; }

  private:
    const NodeConfig config_;
    // Destroyed in reverse order: the link and server first, the spool last. stop() has
    // already stopped every thread before that.
    std::unique_ptr<RecordSpool> spool_;
    std::unique_ptr<LineManager> lines_;
    std::unique_ptr<SettingsApplier> settings_;
    std::unique_ptr<NodeApi> api_;
    std::unique_ptr<NodeServer> server_;
    std::unique_ptr<GatewayLink> link_;
    bool started_ = false;
    bool stopped_ = false;
};

// The program's version, as reported in hello and by --version.
inline constexpr const char* kNodeSoftware = "faxgate-node 0.1.0";

}  // namespace faxgate::node
