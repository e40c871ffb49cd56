// The admin API's node settings (docs/settings.md "Admin API"), dispatched by AdminApi:
//
//   GET  /api/v1/nodes/{id}/settings   the latest version merged with the node's live fields
//                                      (url, keep_lines_for_receive, retry; "secret_set"
//                                      instead of the secret) and its drift: version,
//                                      applied_version, applied_ms, in_sync, error
//   PUT  /api/v1/nodes/{id}/settings   validate (400 naming the field), check the base version
//                                      (409 with latest_version), store the version and the
//                                      nodes-table fields in one transaction with the audit
//                                      entry "node.settings", push to the node -> 201
//                                      {version, pushed, applied_version, push_error}
//   POST /api/v1/settings/node:{id}/versions/{n}/restore
//                                      register version n's content again (with its url,
//                                      keep_lines_for_receive and retry; the secret stays),
//                                      validated and pushed as a PUT; audit "node.settings.restore"
//   PATCH /api/v1/nodes/{id} with a new "secret" (admin_api.cpp): storeNodeChange() and push()
//                                      carry it to the node the same way (audit "node.change")
//
// Threading: a NodeSettingsApi is made per request; the store and the registry it uses are
// thread-safe. The push runs after the store transaction, holding no lock.
#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/node_settings.h"
#include "gateway/api/admin_request.h"
#include "gateway/nodes/node_registry.h"
#include "gateway/store/store.h"

namespace faxgate::gateway {

class NodeSettingsApi {
  public:
    NodeSettingsApi(Store& store, NodeRegistry& registry);

    // True for the paths (segments after /api/v1) handle() answers.
    static bool handles(const std::vector<std::string>& path);
    void handle(const admin::AdminCall& call);

    // The "settings" object of a node in GET /api/v1/nodes and /api/v1/nodes/{id}:
    // {"version", "applied_version", "applied_ms", "in_sync", "error", "error_version"}.
    Poco::JSON::Object driftJson(const std::string& nodeId);

    // A settings version stored under the node-row lock, to push once the lock is released.
    struct Registered {
        int64_t version = 0;
        settings::NodeSettings document;  // as stored, without the secret
        Node node;                        // the node's row as stored with it
    };
    // Stores PATCH /api/v1/nodes/{id}'s change of the node's row (`before` -> `after`) with its
    // audit `entry` in one transaction. A new secret takes the way of a registration's: the
    // previous secret stays accepted (`after` gets nodes.previous_secret) and the latest
    // version's content, with the row's fields, is registered as the next version, returned to
    // be pushed. A node without any version yet gets the secret as it is (its configuration
    // file must carry it). 409 if the latest version no longer validates; SettingsConflict if
    // a version slipped in. REQUIRES: NodeSettingsSync::nodeRowMutex() held.
    std::optional<Registered> storeNodeChange(const Node& before, Node& after, AuditEntry entry);
    // Sends a registered version to the node (NodeRegistry::pushSettings). Holds no lock.
    SettingsPushOutcome push(const Registered& registered);

  private:
    void get(const admin::AdminCall& call, const Node& node);
    void put(const admin::AdminCall& call, const Node& node);
    void restore(const admin::AdminCall& call, const std::string& nodeId, int64_t version);
    // Stores `document` as the node's next version with the nodes-table fields it sets (one
    // transaction with the audit entry), pushes it and answers 201.
    void registerVersion(const admin::AdminCall& call, const std::string& nodeId,
                         const settings::NodeSettings& document, std::optional<int64_t> baseVersion,
                         const std::string& action, const Poco::JSON::Object& extraChanges);

    Store& store_;
    NodeRegistry& registry_;
};

}  // namespace faxgate::gateway
