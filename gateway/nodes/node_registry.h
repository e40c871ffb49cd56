// The gateway's view of its fax nodes: who is logged in (hello with the shared secret, then a
// session token), what their lines are doing (heartbeats), and the HTTP calls that hand a job
// to a node (docs/node-protocol.md). It is the scheduler's NodeLink. With NodeSettingsSync it
// also carries central settings (docs/settings.md): hello accepts the previous secret during a
// secret change, imports a node's own settings and answers with the version the node should
// run; heartbeats report what the node runs; pushSettings hands a registered version over.
//
// Threading: all public methods may be called from any thread; mutex_ guards sessions_ and is
// never held during a network call. onChange (the scheduler's wake) is called without the lock.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/nodes/node_settings_sync.h"
#include "gateway/scheduler/scheduler.h"
#include "gateway/store/store.h"

namespace faxgate::gateway {

struct LineState {
    std::string id;
    std::string state;  // idle, sending, receiving, down
    int64_t jobId = 0;
};

struct NodeRegistryOptions {
    // Heartbeat interval the gateway asks nodes for; a node is offline after three missed.
    int64_t heartbeatIntervalMs = 2000;
    int64_t connectTimeoutMs = 2000;   // for calls to a node
    int64_t requestTimeoutMs = 15000;  // a job's upload included
    // Connect and answer time-out of a settings push (PUT {node}/v1/settings); an admin's
    // registration waits at most about twice this long for the node.
    int64_t settingsPushTimeoutMs = 10000;
};

// A node's session and state, for the admin tool and the scheduler.
struct NodeSession {
    std::string nodeId;
    std::string url;
    std::string session;
    std::string bootId;
    std::string software;
    std::vector<LineState> lines;
    int64_t lastHeartbeatMs = 0;
};

struct HelloRequest {
    std::string nodeId;
    std::string secret;
    std::string url;
    std::string bootId;
    std::string software;
    std::vector<LineState> lines;
    std::string address;                      // the node's IP address, for the audit log
    int64_t settingsVersion = 0;              // the settings version the node runs
    std::optional<std::string> settingsJson;  // the node's settings document, if sent
};

struct HelloAnswer {
    int httpStatus = 200;  // 200, or 401 (bad secret) / 403 (unknown node)
    std::string error;
    std::string session;
    int64_t heartbeatIntervalMs = 0;
    // When the node should run another settings version: that version and the document
    // (NodeSettingsSync::documentForNode) the answer carries. 0 = none.
    int64_t settingsVersion = 0;
    std::string settingsJson;
};

// What came of pushing a settings version to a node.
struct SettingsPushOutcome {
    bool pushed = false;         // the node was reached and answered
    int64_t appliedVersion = 0;  // the version the node runs, as far as the gateway knows
    std::string error;           // why the version is not applied (yet); empty = applied
};

class NodeRegistry : public NodeLink {
  public:
    using Clock = std::function<int64_t()>;

    NodeRegistry(Store& store, NodeRegistryOptions options, Clock clock);

    // Set once before any traffic: called when lines may have freed or a node came online.
    void setOnChange(std::function<void()> onChange) { onChange_ = std::move(onChange); }

    HelloAnswer hello(const HelloRequest& request);
    // Returns false if the session is unknown (the node must say hello again). `settings`:
    // what the node reports about its settings, when the heartbeat carries it.
    bool heartbeat(const std::string& session, const std::vector<LineState>& lines,
                   const std::optional<NodeSettingsReport>& settings = std::nullopt);
    // The node ID a session token belongs to.
    std::optional<std::string> nodeOfSession(const std::string& session);
    std::vector<NodeSession> sessions();

    // Sends settings `version` (`documentJson`: NodeSettingsSync::documentForNode) to a node
    // that has a session and records its answer. Blocks at most about twice
    // settingsPushTimeoutMs, holding no lock. A node that cannot be reached loses its
    // session, so its next heartbeat is refused and its new hello brings it the version.
    SettingsPushOutcome pushSettings(const std::string& nodeId, int64_t version,
                                     const std::string& documentJson);
    NodeSettingsSync& settings() { return settings_; }

    // NodeLink
    std::map<std::string, NodeStatus> nodeStatuses() override;
    DispatchOutcome dispatch(const Node& node, const Job& job, int attempt,
                             const std::string& tiff) override;
    bool cancel(const Node& node, int64_t jobId) override;

  private:
    bool isOnline(const NodeSession& session, int64_t nowMs) const;
    std::optional<NodeSession> sessionOf(const std::string& nodeId);

    Store& store_;
    const NodeRegistryOptions options_;
    const Clock clock_;
    std::function<void()> onChange_;
    NodeSettingsSync settings_;

    std::mutex mutex_;
    std::map<std::string, NodeSession> sessions_;  // by node ID
};

}  // namespace faxgate::gateway
