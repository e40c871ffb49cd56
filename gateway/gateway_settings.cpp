// The gateway's registered settings: loading at start, checks and putting them in force; see
// gateway_settings.h.
#include "gateway/gateway_settings.h"

#include <Poco/Logger.h>

#include <memory>
#include <stdexcept>

#include "gateway/delivery/smtp_relay.h"

namespace faxgate::gateway {

namespace {

Poco::Logger& logger() { return Poco::Logger::get("gateway"); }

bool isSecret(const std::string& key) {
    for (const RegistrableKey& registrable : registrableGatewayKeys()) {
        if (registrable.name == key) return registrable.secret;
    }
    return false;
}

}  // namespace

GatewayConfig withRegisteredSettings(const GatewayConfig& fileConfig, Store& store) {
    if (fileConfig.configFile.empty()) return fileConfig;
    int64_t version = 0;
    const ConfigOverrides values = loadRegisteredGatewaySettings(store, &version);
    if (values.empty()) return fileConfig;
    try {
        GatewayConfig config = loadGatewayConfig(fileConfig.configFile, values);
        for (const auto& [key, value] : values) {
            logger().information(
                "registered setting %s = %s in place of %s's (settings version "
                "%Ld of gateway)",
                key, isSecret(key) ? std::string("(secret)") : "'" + value + "'",
                fileConfig.configFile, version);
        }
        return config;
    } catch (const ConfigError& e) {
        logger().error(
            "registered gateway settings (version %Ld) not used, %s alone counts: %s; "
            "correct them with fax-admin gateway-settings set",
            version, fileConfig.configFile, std::string(e.what()));
        return fileConfig;
    }
}

GatewaySettings::GatewaySettings(GatewayConfig running, ReplaceableTransport* relay)
    : running_(std::move(running)), relay_(relay), inForce_(registrableValues(running_)) {}

std::vector<GatewaySettingKey> GatewaySettings::keys() const {
    std::vector<GatewaySettingKey> keys;
    for (const RegistrableKey& key : registrableGatewayKeys())
        keys.push_back({key.name, key.secret});
    return keys;
}

GatewayConfig GatewaySettings::load(const Values& values) const {
    try {
        return loadGatewayConfig(running_.configFile, values);
    } catch (const ConfigError& e) {
        if (e.key().empty()) throw std::invalid_argument(e.what());
        if (values.count(e.key())) throw std::invalid_argument(e.key() + ": " + e.problem());
        // A key of the file (it changed since the start, or a rule across keys).
        throw std::invalid_argument(running_.configFile + ": " + e.key() + ": " + e.problem());
    }
}

void GatewaySettings::check(const Values& values) const { load(values); }

void GatewaySettings::apply(const Values& values) {
    const GatewayConfig next = load(values);
    std::lock_guard<std::mutex> lock(mutex_);
    if (!relay_ || next.relayUrl.empty()) return;  // switching the relay on or off: a restart
    relay_->replace(std::make_shared<SmtpRelay>(relayOptionsOf(next)));
    const ConfigOverrides nextValues = registrableValues(next);
    for (const RegistrableKey& key : registrableGatewayKeys()) {
        if (key.live) inForce_[key.name] = nextValues.at(key.name);
    }
    logger().information("relay settings in force from the next outbox try: %s, user '%s'%s",
                         next.relayUrl, next.relayUser,
                         std::string(next.relayRequireTls ? ", TLS required" : ""));
}

std::vector<std::string> GatewaySettings::restartRequired(const Values& values) const {
    ConfigOverrides wanted;
    try {
        wanted = registrableValues(load(values));
    } catch (const std::invalid_argument&) {
        // Not loadable with the file as it is now: compare the registered values themselves.
        std::lock_guard<std::mutex> lock(mutex_);
        wanted = inForce_;
        for (const auto& [key, value] : values) wanted[key] = value;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> keys;
    for (const RegistrableKey& key : registrableGatewayKeys()) {
        if (wanted[key.name] != inForce_.at(key.name)) keys.push_back(key.name);
    }
    return keys;
}

}  // namespace faxgate::gateway
