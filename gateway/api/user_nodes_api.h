// The admin API's per-user node table (settings scope "user-nodes", docs/settings.md): which
// node a user's faxes go to (users.default_node; the scheduler waits for that node rather
// than falling back). Dispatched by AdminApi:
//
//   GET /api/v1/user-nodes   {"version", "entries": {"alice": "tokyo-1", ...}}: the users
//                            with a node of their own
//   PUT /api/v1/user-nodes   {"version" (optional base), "entries": {...}}: the whole table;
//                            a user not named gets no node of their own -> 200 as GET;
//                            400 naming the entry ("entries.bob: no user 'bob'");
//                            409 {"error", "latest_version"} on a stale base
//   restore (settings_history_api.h): version n's entries registered again the same way.
//
// Each registration writes users.default_node of every user, its audit entry
// ("user-nodes.set" or "user-nodes.restore": the entries that changed, "" for a removed one),
// the "user-nodes" version and a "users" version in one transaction (store.h,
// setUserNodesAudited).
//
// GET, PUT and restore have the shape every table-like scope shares (VersionedScopeApi,
// settings_scope.h); this class says what is its own: its answer and how a document is
// checked and registered.
//
// Threading: made per request; holds SettingsLocks::users while it reads and writes users.
#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/api/admin_request.h"
#include "gateway/api/settings_scope.h"

namespace faxgate::gateway {

class UserNodesApi : public admin::VersionedScopeApi {
  public:
    explicit UserNodesApi(const admin::SettingsContext& context);

    static bool handles(const std::vector<std::string>& path);

  private:
    Poco::JSON::Object answer() override;
    void registerDocument(const admin::AdminCall& call, const Poco::JSON::Object& document,
                          std::optional<int64_t> baseVersion, const std::string& action,
                          const Poco::JSON::Object& extraChanges) override;
};

}  // namespace faxgate::gateway
