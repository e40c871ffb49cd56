// Loading and validation of the node's configuration; see node_config.h.
#include "faxnode/node_config.h"

#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/URI.h>
#include <Poco/Util/IniFileConfiguration.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <set>

namespace faxgate::node {
namespace {

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

bool isIdentifier(const std::string& text, size_t maxLength) {
    return !text.empty() && text.size() <= maxLength &&
           std::all_of(text.begin(), text.end(),
                       [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
}

// Reads one section's keys, remembering which were used so that the rest can be reported
// as unknown.
class SectionReader {
  public:
    SectionReader(const Poco::Util::AbstractConfiguration& ini, std::string section)
        : ini_(ini), section_(std::move(section)) {}

    [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
        throw ConfigError("[" + section_ + "] " + key + ": " + problem);
    }

    bool has(const std::string& key) {
        used_.insert(lower(key));
        return ini_.hasOption(section_ + "." + key);
    }

    std::string raw(const std::string& key) { return ini_.getRawString(section_ + "." + key); }

    void readString(const std::string& key, std::string& value, size_t maxLength,
                    bool required = false) {
        if (!has(key)) {
            if (required) fail(key, "required");
            return;
        }
        std::string text = raw(key);
        if (required && text.empty()) fail(key, "required, must not be empty");
        if (text.size() > maxLength) {
            fail(key, "longer than " + std::to_string(maxLength) + " characters");
        }
        for (unsigned char c : text) {
            if (c < 0x20 || c == 0x7f) fail(key, "contains a control character");
        }
        value = text;
    }

    void readInteger(const std::string& key, int64_t& value, int64_t min, int64_t max) {
        if (!has(key)) return;
        std::string text = raw(key);
        int64_t parsed = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
        if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
            parsed < min || parsed > max) {
            fail(key, "expected an integer " + std::to_string(min) + ".." + std::to_string(max) +
                          ", got \"" + text + "\"");
        }
        value = parsed;
    }

    void readInteger(const std::string& key, int& value, int min, int max) {
        int64_t wide = value;
        readInteger(key, wide, min, max);
        value = static_cast<int>(wide);
    }

    // An integer whose range the settings document checks (validateNodeSettings).
    void readInteger(const std::string& key, int64_t& value) {
        if (!has(key)) return;
        std::string text = raw(key);
        int64_t parsed = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
        if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
            fail(key, "expected an integer, got \"" + text + "\"");
        }
        value = parsed;
    }

    void readInteger(const std::string& key, int& value) {
        int64_t wide = value;
        readInteger(key, wide);
        if (wide < INT32_MIN || wide > INT32_MAX) {
            fail(key, "expected an integer, got \"" + raw(key) + "\"");
        }
        value = static_cast<int>(wide);
    }

    void readBool(const std::string& key, bool& value) {
        if (!has(key)) return;
        std::string text = lower(raw(key));
        if (text == "true" || text == "yes" || text == "on" || text == "1") {
            value = true;
        } else if (text == "false" || text == "no" || text == "off" || text == "0") {
            value = false;
        } else {
            fail(key, "expected true or false, got \"" + raw(key) + "\"");
        }
    }

    // `optional`: absent or empty leaves `value` as it is (public_url's "derive it").
    // `allowHttps`: the gateway's URL may be https:// (the node's own API is plain HTTP).
    void readHttpUrl(const std::string& key, std::string& value, bool optional = false,
                     bool allowHttps = false) {
        readString(key, value, 1000);
        if (optional && value.empty()) return;
        try {
            Poco::URI uri(value);
            if (uri.getScheme() != "http" && !(allowHttps && uri.getScheme() == "https")) {
                fail(key, std::string("must be an http:// ") + (allowHttps ? "or https:// " : "") +
                              "URL, got \"" + value + "\"");
            }
            if (uri.getHost().empty()) fail(key, "has no host: \"" + value + "\"");
        } catch (const Poco::SyntaxException& e) {
            fail(key, "not a URL \"" + value + "\": " + e.displayText());
        }
        while (!value.empty() && value.back() == '/') value.pop_back();
    }

    // Every key present in the section that nothing asked for.
    void rejectUnknownKeys() const {
        std::vector<std::string> present;
        collectKeys(section_, "", present);
        for (const std::string& key : present) {
            if (used_.count(lower(key)) == 0) fail(key, "unknown key");
        }
    }

  private:
    void collectKeys(const std::string& base, const std::string& prefix,
                     std::vector<std::string>& out) const {
        Poco::Util::AbstractConfiguration::Keys keys;
        ini_.keys(base, keys);
        for (const std::string& key : keys) {
            std::string relative = prefix.empty() ? key : prefix + "." + key;
            if (ini_.hasOption(base + "." + key)) out.push_back(relative);
            collectKeys(base + "." + key, relative, out);
        }
    }

    const Poco::Util::AbstractConfiguration& ini_;
    std::string section_;
    std::set<std::string> used_;
};

// Reads one [line.<id>] section's values; their checks are the settings document's
// (validateNodeSettings, run on the whole document afterwards).
settings::LineSettings parseLine(const Poco::Util::AbstractConfiguration& ini,
                                 const std::string& lineId) {
    std::string section = "line." + lineId;
    SectionReader reader(ini, section);
    settings::LineSettings line;
    if (!isIdentifier(lineId, 64)) {
        throw ConfigError("[" + section + "]: a line ID is 1..64 letters, digits, '_' or '-'");
    }
    line.id = lineId;
    reader.readString("driver", line.driver, 1000);
    reader.readString("number", line.number, 1000);
    reader.readString("station_id", line.stationId, 1000);
    reader.readString("header", line.header, 1000);
    reader.readInteger("max_bit_rate", line.maxBitRate);
    reader.readBool("ecm", line.ecm);
    reader.readString("resolution", line.resolution, 1000);
    reader.readString("dial_prefix", line.dialPrefix, 1000);
    reader.readInteger("concurrency", line.concurrency);

    settings::SimLineSettings& sim = line.sim;
    reader.readInteger("sim.dial_ms", sim.dialMs);
    reader.readInteger("sim.page_ms", sim.pageMs);
    reader.readString("sim.busy", sim.busyPattern, 1000);
    reader.readString("sim.no_answer", sim.noAnswerPattern, 1000);
    reader.readString("sim.no_carrier", sim.noCarrierPattern, 1000);
    reader.readString("sim.fail", sim.failPattern, 1000);
    reader.readInteger("sim.fail_after_pages", sim.failAfterPages);
    reader.readString("sim.remote_csid", sim.remoteCsid, 1000);
    reader.readString("sim.exchange_dir", sim.exchangeDir, 1000);
    reader.rejectUnknownKeys();
    return line;
}

// A settings document error ("lines[1].sim.busy: ...") in the INI file's words
// ("[line.sim-2] sim.busy: ...").
ConfigError iniError(const settings::SettingsError& error, const settings::NodeSettings& document) {
    std::string message = error.what();
    size_t colon = message.find(": ");
    std::string path = message.substr(0, colon);
    std::string problem = colon == std::string::npos ? "" : message.substr(colon + 2);
    if (path.rfind("lines[", 0) == 0) {
        size_t close = path.find(']');
        size_t index = std::stoul(path.substr(6, close - 6));
        std::string key = close + 2 <= path.size() ? path.substr(close + 2) : "";
        std::string section =
            index < document.lines.size() ? "line." + document.lines[index].id : "line";
        return ConfigError("[" + section + "] " + key + ": " + problem);
    }
    if (path == "time_zone") return ConfigError("[node] time_zone: " + problem);
    if (path == "node_id") return ConfigError("[node] id: " + problem);
    if (path == "secret") return ConfigError("[gateway] secret: " + problem);
    return ConfigError(message);
}

}  // namespace

NodeConfig parseNodeConfig(const Poco::Util::AbstractConfiguration& ini) {
    NodeConfig config;

    Poco::Util::AbstractConfiguration::Keys sections;
    ini.keys(sections);
    for (const std::string& section : sections) {
        std::string name = lower(section);
        if (name != "node" && name != "gateway" && name != "line") {
            throw ConfigError("[" + section +
                              "]: unknown section (known: node, gateway, line.<id>)");
        }
    }

    SectionReader node(ini, "node");
    node.readString("id", config.nodeId, 64, /*required=*/true);
    if (!isIdentifier(config.nodeId, 64)) {
        node.fail("id", "1..64 letters, digits, '_' or '-', got \"" + config.nodeId + "\"");
    }
    node.readString("listen_address", config.listenAddress, 64);
    Poco::Net::IPAddress address;
    if (!Poco::Net::IPAddress::tryParse(config.listenAddress, address)) {
        node.fail("listen_address", "not an IP address: \"" + config.listenAddress + "\"");
    }
    node.readInteger("port", config.port, 0, 65535);
    node.readHttpUrl("public_url", config.publicUrl, /*optional=*/true);
    if (config.publicUrl.empty() && address.isWildcard()) {
        node.fail("public_url", "required when listen_address is a wildcard address (" +
                                    config.listenAddress + ")");
    }
    node.readString("spool_dir", config.spoolDir, 1000, /*required=*/true);
    node.readInteger("max_request_bytes", config.maxRequestBytes, 1024, 1024LL * 1024 * 1024);
    node.readInteger("shutdown_grace_ms", config.shutdownGraceMs, 0, 3600 * 1000);
    node.readString("time_zone", config.settings.timeZone, 1000);
    node.rejectUnknownKeys();
    config.settings.nodeId = config.nodeId;

    SectionReader gateway(ini, "gateway");
    gateway.readHttpUrl("url", config.gatewayUrl, /*optional=*/false, /*allowHttps=*/true);
    gateway.readString("ca_file", config.gatewayCaFile, 1000);
    if (!config.gatewayCaFile.empty() && !std::filesystem::is_regular_file(config.gatewayCaFile)) {
        gateway.fail("ca_file", "no such file \"" + config.gatewayCaFile + "\"");
    }
    std::string secret;
    gateway.readString("secret", secret, 1000, /*required=*/true);
    config.settings.secret = secret;
    gateway.readInteger("heartbeat_interval_ms", config.heartbeatIntervalMs, 100, 600000);
    gateway.readInteger("retry_max_ms", config.retryMaxMs, 100, 3600 * 1000);
    gateway.rejectUnknownKeys();

    Poco::Util::AbstractConfiguration::Keys lineIds;
    ini.keys("line", lineIds);
    std::sort(lineIds.begin(), lineIds.end());
    for (const std::string& lineId : lineIds) {
        if (ini.hasOption("line." + lineId)) {
            throw ConfigError("[line]: put each line in its own section [line.<id>]");
        }
        config.settings.lines.push_back(parseLine(ini, lineId));
    }
    if (config.settings.lines.empty()) {
        throw ConfigError("[line.<id>]: no line configured; add at least one [line.<id>] section");
    }
    try {
        settings::validateNodeSettings(config.settings);
    } catch (const settings::SettingsError& e) {
        throw iniError(e, config.settings);
    }
    return config;
}

NodeConfig loadNodeConfig(const std::string& path) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error)) {
        throw ConfigError(path + ": no such configuration file");
    }
    Poco::AutoPtr<Poco::Util::IniFileConfiguration> ini;
    try {
        ini = new Poco::Util::IniFileConfiguration(path);
    } catch (const Poco::Exception& e) {
        throw ConfigError(path + ": cannot read: " + e.displayText());
    }
    try {
        return parseNodeConfig(*ini);
    } catch (const ConfigError& e) {
        throw ConfigError(path + ": " + e.what());
    }
}

std::string effectivePublicUrl(const NodeConfig& config, int boundPort) {
    if (!config.publicUrl.empty()) return config.publicUrl;
    Poco::Net::IPAddress address(config.listenAddress);
    std::string host = address.family() == Poco::Net::IPAddress::IPv6
                           ? "[" + config.listenAddress + "]"
                           : config.listenAddress;
    return "http://" + host + ":" + std::to_string(boundPort);
}

}  // namespace faxgate::node
