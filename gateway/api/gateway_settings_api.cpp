// The admin API's settings of the gateway itself; see gateway_settings_api.h.
#include "gateway/api/gateway_settings_api.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <stdexcept>

#include "gateway/api/json_http.h"

namespace faxgate::gateway {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using namespace admin;

// Marks a secret as registered in documents: "relay.password_set": true.
const std::string kSetSuffix = "_set";

// A value as it would stand in gateway.ini; nothing for a JSON type a key cannot have.
std::optional<std::string> settingText(const Poco::Dynamic::Var& value) {
    if (value.isString()) return value.toString();
    if (value.isBoolean()) return std::string(value.extract<bool>() ? "true" : "false");
    if (value.isInteger()) return value.toString();
    return std::nullopt;
}

bool isSetMarker(const std::string& name) {
    return name.size() > kSetSuffix.size() &&
           name.compare(name.size() - kSetSuffix.size(), kSetSuffix.size(), kSetSuffix) == 0;
}

std::string withoutSetMarker(const std::string& name) {
    return name.substr(0, name.size() - kSetSuffix.size());
}

Object settingsOf(const std::optional<SettingsVersion>& version) {
    if (!version) return Object();
    Object::Ptr settings = parseStoredDocument(*version)->getObject("settings");
    return settings ? *settings : Object();
}

}  // namespace

GatewaySettingsHost::Values loadRegisteredGatewaySettings(Store& store, int64_t* version) {
    GatewaySettingsHost::Values values;
    std::optional<SettingsVersion> latest = store.latestSettings(kGatewayScope);
    if (version) *version = latest ? latest->version : 0;
    if (!latest) return values;
    for (const auto& [name, value] : settingsOf(latest)) {
        if (isSetMarker(name)) continue;  // the secrets themselves are kept beside the versions
        if (std::optional<std::string> text = settingText(value)) values[name] = *text;
    }
    for (const auto& [name, secret] : store.loadSettingsSecrets(kGatewayScope)) {
        values[name] = secret;
    }
    return values;
}

GatewaySettingsApi::GatewaySettingsApi(const SettingsContext& context)
    : VersionedScopeApi(context, {"the gateway's settings",
                                  "gateway.settings",
                                  "gateway.settings.restore",
                                  {"settings"}}) {}

bool GatewaySettingsApi::handles(const std::vector<std::string>& path) {
    return path.size() == 1 && path[0] == "gateway-settings";
}

GatewaySettingsHost& GatewaySettingsApi::host() {
    if (!context_.gateway) {
        throw HttpError(503,
                        "this process has no gateway settings to register (it was not "
                        "started from a configuration file)");
    }
    return *context_.gateway;
}

Object GatewaySettingsApi::answer() {
    Store& store = context_.store;
    std::optional<SettingsVersion> latest = store.latestSettings(kGatewayScope);
    int64_t version = 0;
    const GatewaySettingsHost::Values values = loadRegisteredGatewaySettings(store, &version);
    Array restart;
    for (const std::string& key : host().restartRequired(values)) restart.add(key);
    Object answer;
    answer.set("version", version);
    answer.set("settings", settingsOf(latest));
    answer.set("restart_required", restart);
    return answer;
}

void GatewaySettingsApi::registerDocument(const AdminCall& call, const Object& document,
                                          std::optional<int64_t> baseVersion,
                                          const std::string& action, const Object& extraChanges) {
    Store& store = context_.store;
    GatewaySettingsHost& gateway = host();
    Object::Ptr settings = document.getObject("settings");
    if (!settings) badRequest("settings: missing, or not an object of \"section.key\": value");
    std::map<std::string, bool> secretKey;  // registrable key -> is a secret
    std::string known;
    for (const GatewaySettingKey& key : gateway.keys()) {
        secretKey[key.name] = key.secret;
        known += (known.empty() ? "" : ", ") + key.name;
    }

    std::lock_guard<std::mutex> lock(context_.locks.gateway);
    const std::map<std::string, std::string> secretsBefore =
        store.loadSettingsSecrets(kGatewayScope);
    GatewaySettingsHost::Values values;          // what the gateway is checked and run with
    std::map<std::string, std::string> secrets;  // kept beside the version
    Object stored;                               // the version's document: no secret
    std::set<std::string> kept;                  // "<key>_set": true
    for (const auto& [name, value] : *settings) {
        const std::string path = "settings." + forLog(name);
        if (isSetMarker(name) && secretKey.count(withoutSetMarker(name)) &&
            secretKey[withoutSetMarker(name)]) {
            if (!value.isBoolean()) badRequest(path + ": expected true or false");
            if (value.extract<bool>()) kept.insert(withoutSetMarker(name));
            continue;
        }
        auto key = secretKey.find(name);
        if (key == secretKey.end()) {
            badRequest(path + ": not a key that can be registered; these can: " + known);
        }
        std::optional<std::string> text = settingText(value);
        if (!text) badRequest(path + ": expected a string, a whole number or true/false");
        if (std::any_of(text->begin(), text->end(),
                        [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
            badRequest(path + ": contains a control character");
        }
        if (key->second) {
            if (!value.isString()) badRequest(path + ": expected a string");
            secrets[name] = *text;
        } else {
            stored.set(name, value);
        }
        values[name] = *text;
    }
    for (const std::string& name : kept) {
        if (secrets.count(name)) continue;  // a new value given as well: it wins
        auto before = secretsBefore.find(name);
        if (before == secretsBefore.end()) {
            badRequest("settings." + name + kSetSuffix + ": no " + name +
                       " is registered to keep; give settings." + name);
        }
        secrets[name] = before->second;
        values[name] = before->second;
    }
    for (const auto& [name, secret] : secrets) stored.set(name + kSetSuffix, true);
    try {
        gateway.check(values);
    } catch (const std::invalid_argument& e) {
        const std::string message = e.what();
        const std::string key = message.substr(0, message.find(':'));
        badRequest(values.count(key) ? "settings." + message : message);
    }

    // What changed against the latest version: new values, null for a key no longer registered,
    // secrets masked.
    const Object before = settingsOf(store.latestSettings(kGatewayScope));
    Object changed;
    for (const auto& [name, value] : stored) {
        if (isSetMarker(name)) continue;
        if (!before.has(name) || before.get(name).toString() != value.toString()) {
            changed.set(name, value);
        }
    }
    for (const auto& [name, value] : before) {
        if (!isSetMarker(name) && !stored.has(name)) changed.set(name, Poco::Dynamic::Var());
    }
    for (const auto& [name, isSecret] : secretKey) {
        if (!isSecret) continue;
        auto old = secretsBefore.find(name);
        auto now = secrets.find(name);
        if (now != secrets.end() && (old == secretsBefore.end() || old->second != now->second)) {
            changed.set(name, kMasked);
        } else if (now == secrets.end() && old != secretsBefore.end()) {
            changed.set(name, Poco::Dynamic::Var());
        }
    }
    Object changes(extraChanges);
    changes.set("settings", changed);
    Object snapshot;
    snapshot.set("settings", stored);
    AuditEntry entry = call.audit(action, kGatewayScope, changes);
    entry.snapshot = SettingsSnapshot{kGatewayScope, stringify(snapshot), baseVersion};
    const int64_t version = store.replaceSettingsSecretsAudited(kGatewayScope, secrets, entry);
    try {
        gateway.apply(values);
    } catch (const std::exception& e) {
        throw HttpError(500, "registered as version " + std::to_string(version) +
                                 " but not put in force: " + e.what());
    }
}

}  // namespace faxgate::gateway
