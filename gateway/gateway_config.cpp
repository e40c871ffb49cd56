// Loading and validation of the gateway's INI file; see gateway_config.h.
#include "gateway/gateway_config.h"

#include <Poco/AutoPtr.h>
#include <Poco/File.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>
#include <Poco/Util/IniFileConfiguration.h>
#include <Poco/Util/LayeredConfiguration.h>
#include <Poco/Util/MapConfiguration.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <limits>
#include <map>

namespace faxgate::gateway {

std::string GatewayConfig::databasePath() const {
    return database.empty() ? dataDir + "/faxgate.db" : database;
}

namespace {

// Binds each key name to a setter and a getter, so the list of known keys and their parsing
// is one table. `overrides` are the registered keys (for messages and the registrable check).
class KeyTable {
  public:
    KeyTable(std::string path, const ConfigOverrides& overrides)
        : path_(std::move(path)), overrides_(overrides) {}

    void text(const std::string& key, std::string& field) {
        setters_[key] = [&field](const std::string& value) { field = value; };
        getters_[key] = [&field] { return field; };
    }
    template <typename Int>
    void number(const std::string& key, Int& field, int64_t min, int64_t max) {
        getters_[key] = [&field] { return std::to_string(field); };
        setters_[key] = [this, key, &field, min, max](const std::string& value) {
            int64_t parsed = 0;
            if (!Poco::NumberParser::tryParse64(value, parsed) || parsed < min || parsed > max) {
                fail(key, "'" + value + "' is not a whole number from " + std::to_string(min) +
                              " to " + std::to_string(max));
            }
            field = static_cast<Int>(parsed);
        };
    }
    void flag(const std::string& key, bool& field) {
        getters_[key] = [&field] { return std::string(field ? "true" : "false"); };
        setters_[key] = [this, key, &field](const std::string& value) {
            std::string v = Poco::toLower(value);
            if (v == "true" || v == "yes" || v == "on" || v == "1")
                field = true;
            else if (v == "false" || v == "no" || v == "off" || v == "0")
                field = false;
            else
                fail(key, "'" + value + "' is not true or false");
        };
    }
    void list(const std::string& key, std::vector<std::string>& field) {
        getters_[key] = [&field] {
            std::string joined;
            for (const std::string& item : field) joined += (joined.empty() ? "" : ",") + item;
            return joined;
        };
        setters_[key] = [&field](const std::string& value) {
            field.clear();
            Poco::StringTokenizer items(
                value, ",",
                Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
            field.assign(items.begin(), items.end());
        };
    }

    void apply(Poco::Util::AbstractConfiguration& file, const std::string& prefix = "") {
        Poco::Util::AbstractConfiguration::Keys keys;
        file.keys(prefix, keys);
        for (const std::string& name : keys) {
            const std::string key = prefix.empty() ? name : prefix + "." + name;
            if (prefix.empty()) {
                apply(file, key);  // a section
                continue;
            }
            auto setter = setters_.find(key);
            if (setter == setters_.end()) fail(key, "unknown key");
            setter->second(Poco::trim(file.getRawString(key)));
        }
    }

    // The field's value as text; the key must be declared.
    std::string get(const std::string& key) const { return getters_.at(key)(); }

    [[noreturn]] void fail(const std::string& key, const std::string& problem) {
        const std::string where = overrides_.count(key) ? "registered setting (admin API)" : path_;
        throw ConfigError(where + ": " + key + ": " + problem, key, problem);
    }

  private:
    std::string path_;
    const ConfigOverrides& overrides_;
    std::map<std::string, std::function<void(const std::string&)>> setters_;
    std::map<std::string, std::function<std::string()>> getters_;
};

constexpr int64_t kMaxMs = 30LL * 24 * 3600 * 1000;

// Which part of the relay's options an SmtpRelay refusal is about (its messages name them).
std::string relayKeyOf(const std::string& refusal) {
    if (refusal.find("helo") != std::string::npos) return "relay.helo_name";
    if (refusal.find("user and password") != std::string::npos) return "relay.user";
    return "relay.url";
}

// Binds every key to its field of `config`: the one list of the gateway's keys.
void declareKeys(KeyTable& table, GatewayConfig& config) {
    table.text("gateway.hostname", config.hostname);
    table.text("gateway.data_dir", config.dataDir);
    table.text("gateway.database", config.database);
    table.text("gateway.templates_dir", config.templatesDir);

    table.text("smtp.listen_address", config.smtpListenAddress);
    table.number("smtp.port", config.smtpPort, 0, 65535);
    table.text("smtp.fax_domain", config.faxDomain);
    table.text("smtp.tls_certificate", config.tlsCertificateFile);
    table.text("smtp.tls_private_key", config.tlsPrivateKeyFile);
    table.flag("smtp.require_tls_for_auth", config.requireTlsForAuth);
    table.number("smtp.max_message_bytes", config.maxMessageBytes, 1024, 1LL << 32);
    table.number("smtp.max_recipients", config.maxRecipients, 1, 10000);
    table.number("smtp.max_command_line_bytes", config.maxCommandLineBytes, 512, 1 << 20);
    table.number("smtp.max_data_line_bytes", config.maxDataLineBytes, 1000, 1 << 20);
    table.number("smtp.idle_timeout_ms", config.smtpIdleTimeoutMs, 1000, kMaxMs);
    table.number("smtp.max_connections", config.smtpMaxConnections, 1, 10000);
    table.number("smtp.max_auth_failures", config.maxAuthFailures, 1, 100);
    table.list("smtp.trusted_networks", config.trustedNetworks);
    table.text("smtp.trusted_user", config.trustedUser);

    table.flag("imap.enabled", config.imapEnabled);
    table.text("imap.listen_address", config.imapListenAddress);
    table.number("imap.port", config.imapPort, 0, 65535);
    table.number("imap.implicit_tls_port", config.imapImplicitTlsPort, 0, 65535);
    table.text("imap.tls_certificate", config.imapTlsCertificateFile);
    table.text("imap.tls_private_key", config.imapTlsPrivateKeyFile);
    table.flag("imap.allow_plaintext_login", config.imapAllowPlaintextLogin);
    table.number("imap.max_literal_bytes", config.imapMaxLiteralBytes, 1024, 1LL << 30);
    table.number("imap.idle_timeout_ms", config.imapIdleTimeoutMs, 1000, kMaxMs);
    table.number("imap.max_connections", config.imapMaxConnections, 1, 10000);
    table.number("imap.max_connections_per_user", config.imapMaxConnectionsPerUser, 1, 1000);

    table.text("http.listen_address", config.httpListenAddress);
    table.number("http.port", config.httpPort, 0, 65535);
    table.number("http.max_request_bytes", config.httpMaxRequestBytes, 4096, 1LL << 32);
    table.number("http.max_inbound_bytes", config.httpMaxInboundBytes, 4096, 1LL << 32);
    table.number("http.max_threads", config.httpMaxThreads, 1, 1000);
    table.number("http.heartbeat_interval_ms", config.nodeHeartbeatIntervalMs, 100, 600000);
    table.number("http.settings_push_timeout_ms", config.nodeSettingsPushTimeoutMs, 100, 600000);
    table.text("http.tls_certificate", config.httpTlsCertificateFile);
    table.text("http.tls_private_key", config.httpTlsPrivateKeyFile);

    table.number("intake.max_pages", config.maxPages, 1, 10000);
    table.number("intake.max_attachments", config.maxAttachments, 1, 1000);
    table.number("intake.conversion_threads", config.conversionThreads, 1, 64);
    table.number("intake.max_commit_batch", config.maxCommitBatch, 1, 10000);

    table.number("scheduler.max_calls_per_destination", config.maxCallsPerDestination, 1, 100);
    table.number("scheduler.kill_time_ms", config.killTimeMs, 1000, kMaxMs);
    table.number("scheduler.broadcast_priority", config.broadcastPriority, 0, 100);
    table.number("scheduler.attempt_timeout_ms", config.attemptTimeoutMs, 1000, kMaxMs);

    table.text("relay.url", config.relayUrl);
    table.text("relay.user", config.relayUser);
    table.text("relay.password", config.relayPassword);
    table.flag("relay.require_tls", config.relayRequireTls);
    table.text("relay.from", config.reportFrom);
    table.text("relay.helo_name", config.relayHeloName);

    table.number("outbox.first_retry_delay_ms", config.outboxFirstRetryDelayMs, 100, kMaxMs);
    table.number("outbox.max_retry_delay_ms", config.outboxMaxRetryDelayMs, 100, kMaxMs);
    table.number("outbox.max_age_ms", config.outboxMaxAgeMs, 1000, 365LL * 24 * 3600 * 1000);

    table.text("inbound.external_delivery", config.externalDelivery);

    table.text("imap_append.url", config.imapAppendUrl);
    table.text("imap_append.login", config.imapAppendLogin);
    table.text("imap_append.password", config.imapAppendPassword);
    table.text("imap_append.password_file", config.imapAppendPasswordFile);
    table.flag("imap_append.require_tls", config.imapAppendRequireTls);
    table.flag("imap_append.verify_certificate", config.imapAppendVerifyCertificate);
    table.text("imap_append.ca_file", config.imapAppendCaFile);
    table.number("imap_append.timeout_ms", config.imapAppendTimeoutMs, 1000, 3600 * 1000);

    table.flag("reports.requeue_notices", config.requeueNotices);
    table.flag("reports.attach_document", config.attachDocument);
}

}  // namespace

const std::vector<RegistrableKey>& registrableGatewayKeys() {
    // Never a file path (certificates, data, templates), nor a key that opens access
    // (smtp.trusted_networks, smtp.require_tls_for_auth, imap.allow_plaintext_login): those
    // stay with whoever may edit the file on the gateway's host.
    static const std::vector<RegistrableKey> keys = {
        {"smtp.listen_address"},
        {"smtp.port"},
        {"smtp.fax_domain"},
        {"imap.listen_address"},
        {"imap.port"},
        {"imap.implicit_tls_port"},
        {"http.listen_address"},
        {"http.port"},
        {"relay.url", false, true},
        {"relay.user", false, true},
        {"relay.password", true, true},
        {"relay.require_tls", false, true},
        {"relay.helo_name", false, true},
        {"relay.from"},
        {"smtp.max_message_bytes"},
        {"smtp.max_recipients"},
        {"intake.max_pages"},
        {"scheduler.kill_time_ms"},
        {"outbox.first_retry_delay_ms"},
        {"outbox.max_retry_delay_ms"},
        {"outbox.max_age_ms"},
        {"reports.requeue_notices"},
        {"reports.attach_document"},
    };
    return keys;
}

GatewayConfig loadGatewayConfig(const std::string& path) { return loadGatewayConfig(path, {}); }

GatewayConfig loadGatewayConfig(const std::string& path, const ConfigOverrides& overrides) {
    if (!Poco::File(path).exists()) throw ConfigError(path + ": no such file");
    GatewayConfig config;
    config.configFile = path;
    KeyTable table(path, overrides);
    declareKeys(table, config);
    const auto& registrable = registrableGatewayKeys();
    for (const auto& override : overrides) {
        const std::string& key = override.first;
        const bool allowed = std::any_of(registrable.begin(), registrable.end(),
                                         [&](const RegistrableKey& k) { return k.name == key; });
        if (!allowed) table.fail(key, "cannot be registered at the admin API; set it in " + path);
    }
    try {
        // The registered values come first: a lower priority is searched first.
        Poco::AutoPtr<Poco::Util::MapConfiguration> registered(new Poco::Util::MapConfiguration);
        for (const auto& [key, value] : overrides) registered->setString(key, value);
        Poco::AutoPtr<Poco::Util::LayeredConfiguration> layered(
            new Poco::Util::LayeredConfiguration);
        layered->add(registered, 0);
        layered->add(new Poco::Util::IniFileConfiguration(path), 1);
        table.apply(*layered);
    } catch (const Poco::Exception& e) {
        throw ConfigError(path + ": " + e.displayText());
    }
    if (config.tlsCertificateFile.empty() != config.tlsPrivateKeyFile.empty()) {
        table.fail("smtp.tls_certificate", "set both tls_certificate and tls_private_key, or none");
    }
    if (config.httpTlsCertificateFile.empty() != config.httpTlsPrivateKeyFile.empty()) {
        table.fail("http.tls_certificate", "set both tls_certificate and tls_private_key, or none");
    }
    if (config.trustedNetworks.empty() != config.trustedUser.empty()) {
        table.fail("smtp.trusted_user", "set both trusted_networks and trusted_user, or none");
    }
    if (config.imapTlsCertificateFile.empty() && config.imapTlsPrivateKeyFile.empty()) {
        config.imapTlsCertificateFile = config.tlsCertificateFile;
        config.imapTlsPrivateKeyFile = config.tlsPrivateKeyFile;
    }
    if (config.reportFrom.empty()) config.reportFrom = "faxgate@" + config.faxDomain;
    if (config.relayHeloName.empty()) config.relayHeloName = config.hostname;
    if (config.outboxMaxRetryDelayMs < config.outboxFirstRetryDelayMs) {
        table.fail("outbox.max_retry_delay_ms", "must not be below first_retry_delay_ms");
    }
    if (config.externalDelivery != "smtp" && config.externalDelivery != "imap_append") {
        table.fail("inbound.external_delivery",
                   "'" + config.externalDelivery + "' is not smtp or imap_append");
    }
    if (config.externalDelivery == "imap_append" && config.imapAppendUrl.empty()) {
        table.fail("inbound.external_delivery", "imap_append needs imap_append.url");
    }
    if (!config.imapAppendPasswordFile.empty()) {
        if (!config.imapAppendPassword.empty()) {
            table.fail("imap_append.password_file", "set password or password_file, not both");
        }
        std::ifstream in(config.imapAppendPasswordFile);
        if (!in || !std::getline(in, config.imapAppendPassword)) {
            table.fail("imap_append.password_file",
                       "cannot read '" + config.imapAppendPasswordFile + "'");
        }
        if (!config.imapAppendPassword.empty() && config.imapAppendPassword.back() == '\r') {
            config.imapAppendPassword.pop_back();
        }
    }
    if (!config.imapAppendUrl.empty() && config.imapAppendPassword.empty()) {
        table.fail("imap_append.password", "imap_append.url needs a password or password_file");
    }
    if (!config.relayUrl.empty()) {
        try {
            SmtpRelay check(relayOptionsOf(config));  // the relay's own checks, as at start
        } catch (const std::invalid_argument& e) {
            table.fail(relayKeyOf(e.what()), e.what());
        }
    }
    return config;
}

ConfigOverrides registrableValues(const GatewayConfig& config) {
    GatewayConfig copy = config;
    const ConfigOverrides none;
    KeyTable table(config.configFile, none);
    declareKeys(table, copy);
    ConfigOverrides values;
    for (const RegistrableKey& key : registrableGatewayKeys()) {
        values[key.name] = table.get(key.name);
    }
    return values;
}

RelayOptions relayOptionsOf(const GatewayConfig& config) {
    RelayOptions relay;
    relay.url = config.relayUrl;
    relay.user = config.relayUser;
    relay.password = config.relayPassword;
    relay.requireTls = config.relayRequireTls;
    relay.heloName = config.relayHeloName.empty() ? config.hostname : config.relayHeloName;
    return relay;
}

}  // namespace faxgate::gateway
