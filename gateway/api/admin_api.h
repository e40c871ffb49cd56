// The admin API: /api/v1/... on the gateway's HTTP listener (api_server.h hands it every
// request under that prefix). JSON in and out; every refusal is a status with
// {"error": reason}.
//
//   POST  /api/v1/login                      {user, password} -> {token, expires_ms}
//   GET   /api/v1/users, /api/v1/users/{id}; POST /api/v1/users; PATCH /api/v1/users/{id}
//                                            (users_api.h)
//   GET   /api/v1/nodes, /api/v1/nodes/{id}; POST /api/v1/nodes; PATCH /api/v1/nodes/{id}
//                                            (a new "secret" reaches the node as a settings
//                                            version, as with PUT .../settings)
//   GET   /api/v1/nodes/{id}/settings; PUT /api/v1/nodes/{id}/settings;
//   POST  /api/v1/settings/node:{id}/versions/{n}/restore   (node_settings_api.h)
//   GET   /api/v1/priority; PUT /api/v1/priority {"order": [node IDs]}   (priority_api.h)
//   GET   /api/v1/user-nodes; PUT /api/v1/user-nodes                      (user_nodes_api.h)
//   GET   /api/v1/routing; PUT /api/v1/routing                            (routing_api.h)
//   GET   /api/v1/gateway-settings; PUT /api/v1/gateway-settings   (gateway_settings_api.h)
//   GET   /api/v1/settings/{scope}/versions, .../versions/{n};
//   POST  /api/v1/settings/{scope}/versions/{n}/restore           (settings_history_api.h)
//   GET   /api/v1/jobs?owner=&state=&active=1&limit=, /api/v1/jobs/{id}
//   POST  /api/v1/jobs/{id}/cancel, /api/v1/jobs/{id}/retry
//   GET   /api/v1/records?node=&user=&number=&direction=&job=&since_ms=&until_ms=&limit=
//   GET   /api/v1/audit?limit=
//
// Authentication: HTTP Basic (user ID + password of a user with role admin) or a Bearer token
// from /login. No or bad credentials: 401 with WWW-Authenticate; a user who is not an admin:
// 403. Bad passwords are slowed down per client address (LoginThrottle) and logged (logger
// "admin"), never with the password. Every change writes one audit entry (Store), in the same
// transaction as the change for users, nodes and the settings; a change of versioned settings
// (docs/settings.md) also writes the scope's new version in that transaction.
//
// Threading: handle() runs on the HTTP server's threads; everything it uses is thread-safe.
#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <cstddef>
#include <cstdint>
#include <functional>

#include "gateway/api/admin_auth.h"
#include "gateway/api/settings_scope.h"
#include "gateway/nodes/node_registry.h"
#include "gateway/scheduler/scheduler.h"
#include "gateway/store/store.h"

namespace faxgate::gateway {

struct AdminApiOptions {
    size_t maxRequestBytes = 64 * 1024;  // request body limit (the ApiServer passes its own)
    int defaultListLimit = 100;          // rows a list returns without ?limit=
    int maxListLimit = 10000;            // largest ?limit= accepted
    LoginThrottleOptions throttle;
    AdminTokensOptions tokens;
    // The running gateway's own settings (GET/PUT /api/v1/gateway-settings); null = those
    // answer 503. Must outlive the AdminApi.
    GatewaySettingsHost* gatewaySettings = nullptr;
};

class AdminApi {
  public:
    using Clock = std::function<int64_t()>;
    // Sleeps this long (the login slow-down); tests pass one that records instead.
    using Sleeper = std::function<void(int64_t ms)>;

    AdminApi(AdminApiOptions options, Store& store, NodeRegistry& registry, Scheduler& scheduler,
             Clock clock = {}, Sleeper sleeper = {});

    // Answers one request under /api/v1/. Throws HttpError for refusals (the router turns it
    // into JSON); a 401 has its WWW-Authenticate header already set on `response`.
    void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

  private:
    struct Caller;
    Caller authenticate(Poco::Net::HTTPServerRequest& request,
                        Poco::Net::HTTPServerResponse& response);
    bool checkPassword(const std::string& user, const std::string& password,
                       const std::string& address);

    const AdminApiOptions options_;
    Store& store_;
    NodeRegistry& registry_;
    Scheduler& scheduler_;
    const Clock clock_;
    const Sleeper sleeper_;
    LoginThrottle throttle_;
    AdminTokens tokens_;
    admin::SettingsLocks settingsLocks_;  // shared by every request's SettingsContext
};

}  // namespace faxgate::gateway
