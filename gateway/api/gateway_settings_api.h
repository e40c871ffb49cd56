// The admin API's settings of the gateway itself (settings scope "gateway", docs/settings.md):
// values registered here take the place of gateway.ini's for a declared set of keys
// (network listeners, the fax domain, the mail relay, some limits; docs/configuration.md lists
// them and when each takes effect). Dispatched by AdminApi:
//
//   GET /api/v1/gateway-settings   {"version", "settings": {"relay.url": "smtp://...",
//                                  "smtp.port": 2526, "relay.password_set": true, ...},
//                                  "restart_required": ["smtp.port"]}
//   PUT /api/v1/gateway-settings   {"version" (optional base), "settings": {...}}: the whole
//                                  set of registered values; a key left out goes back to the
//                                  file's value -> 200 as GET; 400 naming the key
//                                  ("settings.relay.port: ..."); 409 {"error",
//                                  "latest_version"} on a stale base
//   restore (settings_history_api.h): version n's values registered again the same way.
//
// Values are strings, whole numbers or true/false, as they would stand in gateway.ini, and are
// checked by the code that checks the file at start (GatewaySettingsHost::check). Secrets
// (relay.password) are write-only: a registration sets one with its key, keeps the one
// registered before with "<key>_set": true (as GET shows it), and drops it otherwise. They are
// kept beside the versions (Store::replaceSettingsSecretsAudited), never in one, so a restore
// keeps the secret registered now. "restart_required" lists the registered keys whose value is
// not in force yet: listeners and limits wait for a restart; relay settings are in force from
// the next outbox try when the gateway runs with a relay.
//
// GET, PUT and restore have the shape every table-like scope shares (VersionedScopeApi,
// settings_scope.h); this class says what is its own: its answer and how a document is
// checked and registered.
//
// Threading: made per request; registration and putting the values in force hold
// SettingsLocks::gateway, so what is in force is always the latest version.
#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gateway/api/admin_request.h"
#include "gateway/api/settings_scope.h"

namespace faxgate::gateway {

struct GatewaySettingKey {
    std::string name;     // "relay.url", as in gateway.ini
    bool secret = false;  // write-only
};

// The running gateway as the admin API sees its own settings. The API's library cannot know
// the gateway's configuration code (that library depends on this one), so the gateway
// implements this (gateway/gateway_settings.h) and hands it to the ApiServer.
// Thread-safety: implementations must allow calls from any thread.
class GatewaySettingsHost {
  public:
    // "section.key" -> value as text, secrets included.
    using Values = std::map<std::string, std::string>;

    virtual ~GatewaySettingsHost() = default;
    // The keys that may be registered.
    virtual std::vector<GatewaySettingKey> keys() const = 0;
    // Throws std::invalid_argument if the gateway would not start with `values` in place of
    // its file's; the message starts with "<key>: " when a key of `values` is at fault.
    virtual void check(const Values& values) const = 0;
    // Puts registered (checked) `values` in force as far as possible without a restart.
    virtual void apply(const Values& values) = 0;
    // The keys whose value with `values` registered differs from the one in force.
    virtual std::vector<std::string> restartRequired(const Values& values) const = 0;
};

// What is registered for the scope "gateway": the latest version's values with their secrets
// (empty if nothing is); `version` gets that version (0 = none). The gateway loads these at
// start; the document's JSON is read here, in one place.
GatewaySettingsHost::Values loadRegisteredGatewaySettings(Store& store, int64_t* version);

class GatewaySettingsApi : public admin::VersionedScopeApi {
  public:
    explicit GatewaySettingsApi(const admin::SettingsContext& context);

    static bool handles(const std::vector<std::string>& path);

  private:
    GatewaySettingsHost& host();
    Poco::JSON::Object answer() override;
    void registerDocument(const admin::AdminCall& call, const Poco::JSON::Object& document,
                          std::optional<int64_t> baseVersion, const std::string& action,
                          const Poco::JSON::Object& extraChanges) override;
};

}  // namespace faxgate::gateway
