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

class UserNodesApi {
  public:
    explicit UserNodesApi(const admin::SettingsContext& context) : context_(context) {}

    static bool handles(const std::vector<std::string>& path);
    void handle(const admin::AdminCall& call);
    // Registers version `old`'s entries again (400 for content that no longer validates).
    void restore(const admin::AdminCall& call, const SettingsVersion& old);

  private:
    Poco::JSON::Object answer();
    void registerEntries(const admin::AdminCall& call, const Poco::JSON::Object& document,
                         std::optional<int64_t> baseVersion, const std::string& action,
                         const Poco::JSON::Object& extraChanges, int status);

    const admin::SettingsContext& context_;
};

}  // namespace faxgate::gateway
