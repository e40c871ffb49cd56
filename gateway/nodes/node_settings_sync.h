// The gateway's half of central node settings (docs/settings.md "Push, apply, acknowledge"):
// which version a node should run (the latest of scope "node:<id>", merged with the node's
// live fields from the nodes table), what the node last reported (node_settings_status,
// written only when it changes, not once per heartbeat), the import of a node's own settings
// at its first hello (version 1), and the end of a secret change: the previous secret stays
// accepted until the node reports the version that carried the new one.
//
// Stored versions keep every field but the secret ("secret_set": true instead). A node is
// sent only the fields it applies (node_id, time_zone, lines) plus "secret" while a secret
// change is pending (nodes.previous_secret set): url, keep_lines_for_receive and retry act at
// the gateway alone.
//
// Threading: every method may be called from any thread. mutex_ guards the caches and is held
// during a status write to the store, never during a network call. nodeRowMutex() serialises
// read-modify-write of a node's row between this class and the settings API; lock order:
// nodeRowMutex() before mutex_.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/node_settings.h"
#include "gateway/store/store.h"

namespace faxgate::gateway {

// The scope of a node's settings versions: "node:<id>".
std::string nodeSettingsScope(const std::string& nodeId);

// What a node says about its settings in hello or heartbeat (docs/node-protocol.md).
struct NodeSettingsReport {
    int64_t appliedVersion = 0;  // 0 = the node runs on its INI file
    std::string error;           // its refusal of a version from a hello answer; empty = none
    int64_t errorVersion = 0;    // the version `error` is about
};

// A registered version, ready to show or to send.
struct DesiredNodeSettings {
    int64_t version = 0;
    settings::NodeSettings document;  // with the live url/keep/retry and the current secret
};

// Desired against applied, for GET /api/v1/nodes and GET /api/v1/nodes/{id}/settings.
struct NodeSettingsDrift {
    int64_t version = 0;         // latest registered version; 0 = none yet
    int64_t appliedVersion = 0;  // as the node last reported
    int64_t appliedMs = 0;       // since when it runs appliedVersion; 0 = never reported
    bool inSync = false;         // version == appliedVersion
    std::string error;           // the node's refusal of a version newer than the applied one
    int64_t errorVersion = 0;
};

class NodeSettingsSync {
  public:
    using Clock = std::function<int64_t()>;

    NodeSettingsSync(Store& store, Clock clock);

    // A stored version's document (as written by storedDocument) with the gateway fields read
    // as they were stored; the fields the node applies are validated again. Throws
    // settings::SettingsError.
    static settings::NodeSettings parseStoredDocument(const std::string& json);
    // The document as a version stores it: every field, "secret_set" instead of the secret.
    static std::string storedDocument(const settings::NodeSettings& document);
    // `document` with url, keep_lines_for_receive, retry and secret taken from the node's row.
    static settings::NodeSettings withLiveFields(settings::NodeSettings document, const Node& node);
    // The JSON text a node is sent (push or hello answer): the fields it applies, plus the
    // secret while a change of it is pending.
    static std::string documentForNode(const DesiredNodeSettings& desired, const Node& node);

    // The latest version merged with the node's row; nothing if there is no version yet (or
    // it cannot be read: logged).
    std::optional<DesiredNodeSettings> desired(const Node& node);

    // A node said hello (its secret already checked): imports `reportedDocument` as version
    // 1 when the scope has none (audit "node.import" by "node:<id>" from `address`; a
    // document that does not validate is logged and skipped), records the reported version,
    // and returns the version the hello answer must carry (when it differs from the node's).
    std::optional<DesiredNodeSettings> onHello(const Node& node, const std::string& address,
                                               const NodeSettingsReport& report,
                                               const std::optional<std::string>& reportedDocument);
    // A heartbeat's or a push answer's report; writes the store only when something changed,
    // and ends a pending secret change once the node runs the version that carried it.
    void report(const std::string& nodeId, const NodeSettingsReport& report);
    // The node refused `version` (a push answered 422): kept until it applies another.
    void recordRefusal(const std::string& nodeId, int64_t version, const std::string& error);
    // A registration changed the node's secret in `version` (nodes.previous_secret now set).
    void noteSecretChange(const std::string& nodeId, int64_t version);

    NodeSettingsDrift drift(const std::string& nodeId);

    std::mutex& nodeRowMutex() { return nodeRowMutex_; }

  private:
    // REQUIRES: mutex_ held.
    std::optional<NodeSettingsStatus>& statusOf(const std::string& nodeId);
    // Writes `next` if it differs from the cached status. REQUIRES: mutex_ held.
    void writeStatus(const NodeSettingsStatus& next);
    // Clears nodes.previous_secret if the node runs a version >= the one with the new secret.
    void endSecretChangeIfApplied(const std::string& nodeId, int64_t appliedVersion);
    std::optional<settings::NodeSettings> importable(const Node& node,
                                                     const std::string& reportedDocument);

    Store& store_;
    const Clock clock_;
    std::mutex nodeRowMutex_;
    std::mutex mutex_;
    // What each node last reported, as in the store; loaded on first use.
    std::map<std::string, std::optional<NodeSettingsStatus>> statuses_;
    // The version that carried each pending new secret, when this process registered it; after
    // a restart the latest version stands in (it carries the new secret too).
    std::map<std::string, int64_t> secretVersions_;
};

}  // namespace faxgate::gateway
