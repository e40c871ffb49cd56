// The admin API's routing table of received faxes (settings scope "routing",
// docs/settings.md; how a table routes: gateway/routing/routing_table.h). Dispatched by
// AdminApi:
//
//   GET /api/v1/routing   {"version", "rules": [{"field", "match", "value", "users",
//                         "priority", "notes"}], "default": [users], "blocked": [{"field",
//                         "match", "value", "notes"}]}
//   PUT /api/v1/routing   the same document, "version" the optional base: replaces the whole
//                         table -> 200 as GET; 400 naming the field with its path
//                         ("rules[2].users[0]: no user 'bob'"); 409 {"error",
//                         "latest_version"} on a stale base
//   restore (settings_history_api.h): version n's table registered again the same way.
//
// Rules: field called|caller|csid, match exact|prefix|pattern (default exact), a value, at
// least one existing user, priority (default 0, lower wins a tie), notes. Block entries:
// field caller|csid, match exact|prefix. Rules are numbered by their place in the list (rule
// 1 is the first), which is also the last tie-break. Limits: types.h (kMaxRoutingEntries...).
//
// Each registration replaces the table, writes its audit entry ("routing.set" or
// "routing.restore": the rules and block entries added and removed, the default route if it
// changed) and the version in one transaction; the next received fax is routed by it.
//
// GET, PUT and restore have the shape every table-like scope shares (VersionedScopeApi,
// settings_scope.h); this class says what is its own: its answer and how a document is
// checked and registered.
//
// Threading: made per request; the store serialises the writes, and the version's base is
// checked in the same transaction.
#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/api/admin_request.h"
#include "gateway/api/settings_scope.h"

namespace faxgate::gateway {

// The document of a routing table (without "version").
Poco::JSON::Object routingJson(const RoutingRules& rules);
// A routing document checked field by field against `users` (the user IDs that exist);
// throws HttpError 400 naming the field's path. Rule IDs are their places, 1, 2, ...
RoutingRules parseRoutingDocument(const Poco::JSON::Object& document,
                                  const std::vector<std::string>& users);

class RoutingApi : public admin::VersionedScopeApi {
  public:
    explicit RoutingApi(const admin::SettingsContext& context);

    static bool handles(const std::vector<std::string>& path);

  private:
    Poco::JSON::Object answer() override;
    void registerDocument(const admin::AdminCall& call, const Poco::JSON::Object& document,
                          std::optional<int64_t> baseVersion, const std::string& action,
                          const Poco::JSON::Object& extraChanges) override;
};

}  // namespace faxgate::gateway
