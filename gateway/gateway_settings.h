// The gateway's own settings as registered at the admin API (settings scope "gateway",
// docs/settings.md): the registrable keys of gateway.ini (gateway_config.h) whose registered
// values take the place of the file's.
//
// At start, withRegisteredSettings() loads the latest registered values over the file and logs
// each. While running, GatewaySettings is what the admin API (gateway_settings_api.h) checks
// new values with (the configuration loader itself, then the relay's own checks, as at start),
// puts them in force with (relay settings: the next outbox try, through the
// ReplaceableTransport the outbox sends by) and asks which keys wait for a restart.
//
// Diagnostics: refused values are std::invalid_argument "<key>: <problem>" (the loader's
// ConfigError); start-up logs (logger "gateway") one line per registered value, secrets
// shown as "(secret)".
#pragma once

#include <mutex>

#include "gateway/api/gateway_settings_api.h"
#include "gateway/delivery/replaceable_transport.h"
#include "gateway/gateway_config.h"
#include "gateway/store/store.h"

namespace faxgate::gateway {

// `fileConfig` with the values registered in `store` in place of the file's, each logged.
// Registered values the file no longer allows (gateway.ini changed since) are left out as a
// whole, with an error in the log, so the gateway still starts and the admin API is there to
// correct them. A config not loaded from a file (configFile empty) is returned as it is.
GatewayConfig withRegisteredSettings(const GatewayConfig& fileConfig, Store& store);

// Invariant: inForce_ holds the registrable keys' values the running gateway uses.
// Thread-safety: every method may be called from any thread; mutex_ guards inForce_ and
// serialises apply().
class GatewaySettings : public GatewaySettingsHost {
  public:
    // `running`: the configuration the gateway started with (loaded from a file, registered
    // values included). `relay`: the transport the outbox relays through, null when the
    // gateway runs without a relay (relay keys then wait for a restart too). Both must outlive
    // this object.
    GatewaySettings(GatewayConfig running, ReplaceableTransport* relay);

    std::vector<GatewaySettingKey> keys() const override;
    void check(const Values& values) const override;
    // Relay keys: a new SmtpRelay for the next outbox try, when the gateway runs with a relay
    // and `values` keep one configured. Everything else waits for a restart.
    void apply(const Values& values) override;
    std::vector<std::string> restartRequired(const Values& values) const override;

  private:
    // loadGatewayConfig(file, values), its ConfigError as std::invalid_argument "<key>: ...".
    GatewayConfig load(const Values& values) const;

    const GatewayConfig running_;
    ReplaceableTransport* const relay_;
    mutable std::mutex mutex_;
    ConfigOverrides inForce_;  // REQUIRES: mutex_ held
};

}  // namespace faxgate::gateway
