// The admin API's priority table (settings scope "priority", docs/settings.md), dispatched by
// AdminApi:
//
//   GET /api/v1/priority   {"version", "order": [{"id", "priority"}, ...]}, the order the
//                          scheduler tries the nodes in
//   PUT /api/v1/priority   {"version" (optional base), "order": [node IDs, or {"id"} objects as
//                          GET shows them]}: these nodes first, in this order, every other node
//                          behind them in its present order; priorities become 10, 20, ...
//                          -> 200 as GET; 400 naming the entry ("order[1]: no node 'x'");
//                          409 {"error", "latest_version"} on a stale base
//   restore (settings_history_api.h): version n's order registered again the same way, so a
//   node added since goes behind the nodes the version names.
//
// Each registration writes the new priorities, its audit entry ("priority.set" or
// "priority.restore", target "nodes") and the version {"order": [all node IDs]} in one
// transaction. Adding a node and changing a node's priority through /api/v1/nodes write a
// version too (admin_api.cpp), so the latest version is always the table in force.
//
// GET, PUT and restore have the shape every table-like scope shares (VersionedScopeApi,
// settings_scope.h); this class says what is its own: its answer and how a document is
// checked and registered.
//
// Threading: made per request; the read-modify-write of the nodes' priorities holds the
// node-row lock (NodeSettingsSync::nodeRowMutex()), shared with the node settings API.
#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/api/admin_request.h"
#include "gateway/api/settings_scope.h"

namespace faxgate::gateway {

class PriorityApi : public admin::VersionedScopeApi {
  public:
    explicit PriorityApi(const admin::SettingsContext& context);

    static bool handles(const std::vector<std::string>& path);

  private:
    Poco::JSON::Object answer() override;
    void registerDocument(const admin::AdminCall& call, const Poco::JSON::Object& document,
                          std::optional<int64_t> baseVersion, const std::string& action,
                          const Poco::JSON::Object& extraChanges) override;
};

}  // namespace faxgate::gateway
