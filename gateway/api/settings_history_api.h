// The history of every settings scope (docs/settings.md), dispatched by AdminApi:
//
//   GET  /api/v1/settings/{scope}/versions?limit=   {"versions": [{"version", "time_ms",
//                                                   "admin", "address", "action"}]}, newest
//                                                   first
//   GET  /api/v1/settings/{scope}/versions/{n}      version n's document, with "version": n
//   POST /api/v1/settings/{scope}/versions/{n}/restore
//                                                   registers version n's content as a new
//                                                   version through the scope's own PUT path
//                                                   (validation, side effects, audit entry
//                                                   "<scope>.restore" with "restored_from": n)
//                                                   -> 201 as the scope's GET; 409 if the
//                                                   content no longer validates
//
// Scopes: priority, user-nodes, routing, gateway, users (history only: its restore is 409,
// users change one by one through /api/v1/users) and node:<id> (also "node%3A<id>"), whose
// versions are read here and restored by NodeSettingsApi (node_settings_api.h), which
// AdminApi asks first. An unknown scope is 404.
//
// Threading: made per request; see the scopes' own APIs for their locks.
#pragma once

#include <string>
#include <vector>

#include "gateway/api/admin_request.h"
#include "gateway/api/settings_scope.h"

namespace faxgate::gateway {

class SettingsHistoryApi {
  public:
    SettingsHistoryApi(const admin::SettingsContext& context, int defaultListLimit,
                       int maxListLimit)
        : context_(context), defaultListLimit_(defaultListLimit), maxListLimit_(maxListLimit) {}

    static bool handles(const std::vector<std::string>& path);
    void handle(const admin::AdminCall& call);

  private:
    // The scope named by the path segment (percent-decoded); 404 for one that does not exist.
    std::string scopeOf(const std::string& segment);
    void restore(const admin::AdminCall& call, const std::string& scope, int64_t version);

    const admin::SettingsContext& context_;
    const int defaultListLimit_;
    const int maxListLimit_;
};

}  // namespace faxgate::gateway
