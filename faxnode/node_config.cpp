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
#include <filesystem>
#include <regex>
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

    void readPattern(const std::string& key, std::string& value) {
        readString(key, value, 1000);
        if (value.empty()) return;
        try {
            std::regex compiled(value, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
            fail(key, "not a valid regular expression \"" + value + "\": " + e.what());
        }
    }

    // `optional`: absent or empty leaves `value` as it is (public_url's "derive it").
    void readHttpUrl(const std::string& key, std::string& value, bool optional = false) {
        readString(key, value, 1000);
        if (optional && value.empty()) return;
        try {
            Poco::URI uri(value);
            if (uri.getScheme() != "http") {
                fail(key,
                     "must be an http:// URL (this version of the node speaks plain HTTP), "
                     "got \"" +
                         value + "\"");
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

LineConfig parseLine(const Poco::Util::AbstractConfiguration& ini, const std::string& lineId) {
    std::string section = "line." + lineId;
    SectionReader reader(ini, section);
    LineConfig line;
    if (!isIdentifier(lineId, 64)) {
        throw ConfigError("[" + section + "]: a line ID is 1..64 letters, digits, '_' or '-'");
    }
    line.line.id = lineId;
    reader.readString("driver", line.driver, 32);
    if (line.driver != "sim") {
        reader.fail("driver", "unknown driver \"" + line.driver + "\" (this version has: sim)");
    }
    reader.readString("number", line.line.number, 32);
    reader.readString("station_id", line.line.stationId, 20);
    for (char c : line.line.stationId) {
        // T.30 station IDs are digits, '+' and spaces only.
        if (!std::isdigit(static_cast<unsigned char>(c)) && c != '+' && c != ' ') {
            reader.fail("station_id", "only digits, '+' and spaces are allowed, got \"" +
                                          line.line.stationId + "\"");
        }
    }
    reader.readString("header", line.line.header, 100);
    reader.readInteger("max_bit_rate", line.line.maxBitRate, 2400, 33600);
    if (line.line.maxBitRate % 2400 != 0) {
        reader.fail("max_bit_rate", "must be a multiple of 2400 (2400, 4800, ... 14400, 33600)");
    }
    reader.readBool("ecm", line.line.ecm);

    SimSettings& sim = line.sim;
    reader.readInteger("sim.dial_ms", sim.dialMs, 0, 600000);
    reader.readInteger("sim.page_ms", sim.pageMs, 0, 600000);
    reader.readPattern("sim.busy", sim.busyPattern);
    reader.readPattern("sim.no_answer", sim.noAnswerPattern);
    reader.readPattern("sim.no_carrier", sim.noCarrierPattern);
    reader.readPattern("sim.fail", sim.failPattern);
    reader.readInteger("sim.fail_after_pages", sim.failAfterPages, 0, 10000);
    reader.readString("sim.remote_csid", sim.remoteCsid, 20);
    reader.readString("sim.exchange_dir", sim.exchangeDir, 1000);
    if (!sim.exchangeDir.empty()) {
        bool numberOk = !line.line.number.empty() && line.line.number != "+";
        for (size_t i = 0; i < line.line.number.size(); ++i) {
            char c = line.line.number[i];
            if (!std::isdigit(static_cast<unsigned char>(c)) && !(c == '+' && i == 0)) {
                numberOk = false;
            }
        }
        if (!numberOk) {
            reader.fail("number",
                        "sim.exchange_dir needs the line's number: digits with an "
                        "optional leading '+', got \"" +
                            line.line.number + "\"");
        }
    }
    reader.rejectUnknownKeys();
    return line;
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
    node.rejectUnknownKeys();

    SectionReader gateway(ini, "gateway");
    gateway.readHttpUrl("url", config.gatewayUrl);
    gateway.readString("secret", config.gatewaySecret, 256, /*required=*/true);
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
        config.lines.push_back(parseLine(ini, lineId));
    }
    if (config.lines.empty()) {
        throw ConfigError("[line.<id>]: no line configured; add at least one [line.<id>] section");
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
