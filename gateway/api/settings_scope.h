// What the admin API's versioned settings (docs/settings.md) share: the scope names, the
// context every part that registers a version works in (store, node registry, locks, the
// running gateway's own settings), the base version of a registration and the 409 answer to a
// stale one, the shape of the table-like scopes' resources (VersionedScopeApi), and the
// documents of the scopes that are built from the data model (users, user-nodes, priority),
// because the user and node resources write them as snapshots too.
//
// A scope's document as the API shows it is the latest version's content plus "version"; a
// registration names the version it was edited from in the same field (optional). Documents
// never hold a secret (docs/settings.md).
//
// Thread-safety: plain functions and per-request objects; SettingsLocks is shared by all
// requests (see there).
#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gateway/api/admin_request.h"
#include "gateway/nodes/node_registry.h"
#include "gateway/store/store.h"

namespace faxgate::gateway {

class GatewaySettingsHost;  // gateway_settings_api.h

namespace admin {

inline constexpr const char* kPriorityScope = "priority";
inline constexpr const char* kUserNodesScope = "user-nodes";
inline constexpr const char* kRoutingScope = "routing";
inline constexpr const char* kGatewayScope = "gateway";
inline constexpr const char* kUsersScope = "users";

// Locks held around a read-modify-write whose snapshot is computed from what is stored, so two
// administrators' changes cannot interleave and leave a version that differs from the table.
// (The nodes' rows have their own: NodeSettingsSync::nodeRowMutex().) Lock order: users,
// then gateway, then the node-row lock.
struct SettingsLocks {
    std::mutex users;    // the users table: users and user-nodes snapshots
    std::mutex gateway;  // the gateway's settings: registration and putting them in force
};

// What the parts of the API that register versions work with; everything outlives a request.
struct SettingsContext {
    Store& store;
    NodeRegistry& registry;
    SettingsLocks& locks;
    GatewaySettingsHost* gateway;  // null: GET/PUT /api/v1/gateway-settings answer 503
};

// The "version" of a document being registered: the version it was edited from, or nothing
// (400 if it is not a whole number >= 0).
std::optional<int64_t> baseVersionOf(const Poco::JSON::Object& document);
// The scope's latest version, 0 if it has none.
int64_t latestVersion(Store& store, const std::string& scope);
// 409 {"error", "latest_version"}: `what` ("the routing table") changed since `base`.
void sendConflict(const AdminCall& call, const std::string& what, int64_t latest);
// The stored version `version` of `scope`, or 404.
SettingsVersion requireVersion(Store& store, const std::string& scope, int64_t version);
// A stored document (always a JSON object).
Poco::JSON::Object::Ptr parseStoredDocument(const SettingsVersion& version);
// The answer to a restore whose content no longer validates: 409 naming the version.
[[noreturn]] void refuseRestore(const SettingsVersion& old, const std::string& reason);

// ---- The table-like scopes' resources --------------------------------------------------------

// What priority, user-nodes, routing and the gateway's settings have in common (their headers
// say what is their own):
//
//   GET <resource>   200 answer()
//   PUT <resource>   the whole document ("version": the optional base; any field not in
//                    `fields` is 400), registered with the action `setAction` -> 200 answer();
//                    a stale base -> 409 {"error", "latest_version"} naming `what`
//   restore          (settings_history_api.h) an old version's document registered again, with
//                    the action `restoreAction` and "restored_from": n in the audit entry's
//                    changes -> 201 answer()
//
// Invariant: every registration goes through registerDocument(), so a PUT and a restore
// validate and write alike. Threading: made per request; a scope's registerDocument() holds the
// locks its data needs (see its header).
class VersionedScopeApi {
  public:
    struct Shape {
        std::string what;              // in a 409: "the priority table"
        std::string setAction;         // the audit action of a PUT: "priority.set"
        std::string restoreAction;     // of a restore: "priority.restore"
        std::set<std::string> fields;  // the document's fields besides "version"
    };

    virtual ~VersionedScopeApi() = default;

    void handle(const AdminCall& call);
    // Registers version `old`'s document again (400 for content that no longer validates).
    void restore(const AdminCall& call, const SettingsVersion& old);

  protected:
    VersionedScopeApi(const SettingsContext& context, Shape shape)
        : context_(context), shape_(std::move(shape)) {}

    // The GET answer: the scope as it is in force, with "version".
    virtual Poco::JSON::Object answer() = 0;
    // Validates `document` (HttpError 400 naming the field's path) and registers it: the
    // scope's data, the audit entry `action` (its changes: `extraChanges` and what changed)
    // and the next version in one transaction, then whatever else puts it in force. Throws
    // SettingsConflict when `baseVersion` is set and no longer the latest.
    virtual void registerDocument(const AdminCall& call, const Poco::JSON::Object& document,
                                  std::optional<int64_t> baseVersion, const std::string& action,
                                  const Poco::JSON::Object& extraChanges) = 0;

    const SettingsContext& context_;

  private:
    void registerAndAnswer(const AdminCall& call, const Poco::JSON::Object& document,
                           std::optional<int64_t> baseVersion, const std::string& action,
                           const Poco::JSON::Object& extraChanges, int status);

    const Shape shape_;
};

// ---- Documents built from the data model -------------------------------------------------

// A user as the API shows it: never the password hash.
Poco::JSON::Object userJson(const User& user);
// "users": {"users": [userJson, ...]} by ID.
std::string usersDocument(const std::vector<User>& users);
// "user-nodes" entries: {"alice": "tokyo-1", ...}, users with a default node only.
Poco::JSON::Object userNodesEntries(const std::vector<User>& users);
std::string userNodesDocument(const std::vector<User>& users);
// The node IDs in the order the scheduler tries them (priority, then ID).
std::vector<std::string> priorityOrder(std::vector<Node> nodes);
// "priority": {"order": [node IDs]}.
std::string priorityDocument(const std::vector<Node>& nodes);

}  // namespace admin
}  // namespace faxgate::gateway
