// Parsing, validation and JSON output of a node's settings document; see node_settings.h and
// docs/settings.md. Parsing checks the JSON types (and refuses unknown fields); every value
// check lives in validateNodeSettings(), so settings built in code and settings parsed from
// JSON pass the same checks and give the same messages.
#include "common/node_settings.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSONString.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace faxgate::settings {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

// The value ranges, named once for parsing (which must know them before narrowing to int)
// and validation.
constexpr int64_t kMaxSimMs = 600000;
constexpr int kMaxFailAfterPages = 1000;
constexpr int kMaxKeepLinesForReceive = 1000;
constexpr int kMaxConcurrency = 256;
constexpr size_t kMaxLines = 256;
constexpr size_t kMaxIdLength = 64;
constexpr size_t kMaxNumberLength = 32;
constexpr size_t kMaxStationIdLength = 20;
constexpr size_t kMaxHeaderCharacters = 50;
constexpr size_t kMaxDialPrefixLength = 16;
constexpr size_t kMinSecretLength = 8;
constexpr size_t kMaxSecretLength = 256;
constexpr size_t kMaxPatternLength = 1000;
constexpr size_t kMaxPathLength = 1000;
constexpr size_t kMaxUrlLength = 1000;
constexpr int kBitRates[] = {2400, 4800, 7200, 9600, 12000, 14400, 33600};
constexpr const char* kResolutions[] = {"standard", "fine", "superfine"};
constexpr const char* kZoneInfoDir = "/usr/share/zoneinfo";

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
    throw SettingsError(path + ": " + problem);
}

std::string quoted(const std::string& text) {
    // Long values are cut so that an error message stays one readable line.
    constexpr size_t kShown = 80;
    if (text.size() <= kShown) return "\"" + text + "\"";
    return "\"" + text.substr(0, kShown) + "...\"";
}

// "got ..." part of a type error: the value as the sender wrote it, roughly.
std::string describe(const Var& value) {
    if (value.isEmpty()) return "null";
    if (value.type() == typeid(Object::Ptr)) return "an object";
    if (value.type() == typeid(Array::Ptr)) return "an array";
    if (value.isString()) return quoted(value.extract<std::string>());
    try {
        return value.convert<std::string>();
    } catch (const Poco::Exception&) {
        return "a value of another type";
    }
}

bool isIdentifier(const std::string& text) {
    return !text.empty() && text.size() <= kMaxIdLength &&
           std::all_of(text.begin(), text.end(),
                       [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
}

bool isPrintableAscii(const std::string& text) {
    return std::all_of(text.begin(), text.end(),
                       [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
}

// Counts the characters of valid UTF-8 text without control characters; -1 otherwise.
int64_t printableUtf8Characters(const std::string& text) {
    int64_t characters = 0;
    for (size_t i = 0; i < text.size();) {
        unsigned char lead = static_cast<unsigned char>(text[i]);
        size_t length = lead < 0x80           ? 1
                        : (lead >> 5) == 0x6  ? 2
                        : (lead >> 4) == 0xe  ? 3
                        : (lead >> 3) == 0x1e ? 4
                                              : 0;
        if (length == 0 || i + length > text.size()) return -1;
        if (length == 1 && (lead < 0x20 || lead == 0x7f)) return -1;
        for (size_t k = 1; k < length; ++k) {
            if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return -1;
        }
        i += length;
        ++characters;
    }
    return characters;
}

void checkRange(const std::string& path, int64_t value, int64_t min, int64_t max) {
    if (value < min || value > max) {
        fail(path, "expected an integer " + std::to_string(min) + ".." + std::to_string(max) +
                       ", got " + std::to_string(value));
    }
}

void checkPrintableAscii(const std::string& path, const std::string& text, size_t maxLength) {
    if (text.size() > maxLength || !isPrintableAscii(text)) {
        fail(path, "expected at most " + std::to_string(maxLength) +
                       " printable ASCII characters, got " + quoted(text));
    }
}

void checkPattern(const std::string& path, const std::string& pattern) {
    if (pattern.empty()) return;
    if (pattern.size() > kMaxPatternLength) {
        fail(path, "longer than " + std::to_string(kMaxPatternLength) + " characters");
    }
    try {
        std::regex compiled(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
        fail(path, "not a valid regular expression " + quoted(pattern) + ": " + e.what());
    }
}

// The line's own number: digits with an optional leading '+'.
bool isPhoneNumber(const std::string& number) {
    size_t digitsFrom = !number.empty() && number[0] == '+' ? 1 : 0;
    return number.size() > digitsFrom && number.size() <= kMaxNumberLength &&
           std::all_of(number.begin() + static_cast<std::ptrdiff_t>(digitsFrom), number.end(),
                       [](unsigned char c) { return std::isdigit(c); });
}

void checkTimeZone(const std::string& zone) {
    const std::string path = "time_zone";
    if (zone == "UTC") return;
    bool wellFormed = !zone.empty() && zone.size() <= 64 && zone.front() != '/' &&
                      zone.find("..") == std::string::npos &&
                      std::all_of(zone.begin(), zone.end(), [](unsigned char c) {
                          return std::isalnum(c) || c == '/' || c == '_' || c == '-' || c == '+';
                      });
    std::error_code error;
    if (!wellFormed ||
        !std::filesystem::is_regular_file(std::string(kZoneInfoDir) + "/" + zone, error)) {
        fail(path,
             "expected an IANA time zone name such as \"Asia/Tokyo\" or \"UTC\" (a file "
             "under " +
                 std::string(kZoneInfoDir) + "), got " + quoted(zone));
    }
}

void checkUrl(const std::string& url) {
    const std::string path = "url";
    const std::string expected = "expected an http:// or https:// URL with a host, got ";
    if (url.size() > kMaxUrlLength) fail(path, expected + quoted(url));
    try {
        Poco::URI uri(url);
        if ((uri.getScheme() != "http" && uri.getScheme() != "https") || uri.getHost().empty()) {
            fail(path, expected + quoted(url));
        }
    } catch (const Poco::SyntaxException&) {
        fail(path, expected + quoted(url));
    }
}

// The ranges the gateway's nodes table has always accepted (admin API PATCH /nodes/{id}), so
// every node's live values can be registered again as they are.
void checkRetry(const RetrySettings& retry) {
    checkRange("retry.busy_retry_ms", retry.busyRetryMs, 100, 86400000);
    checkRange("retry.failure_retry_ms", retry.failureRetryMs, 100, 86400000);
    checkRange("retry.max_dials", retry.maxDials, 1, 1000);
    checkRange("retry.max_connected_tries", retry.maxConnectedTries, 1, 1000);
    checkRange("retry.kill_time_ms", retry.killTimeMs, 60000, 2592000000);
}

void checkSim(const std::string& path, const SimLineSettings& sim, const std::string& number) {
    checkRange(path + ".dial_ms", sim.dialMs, 0, kMaxSimMs);
    checkRange(path + ".page_ms", sim.pageMs, 0, kMaxSimMs);
    checkPattern(path + ".busy", sim.busyPattern);
    checkPattern(path + ".no_answer", sim.noAnswerPattern);
    checkPattern(path + ".no_carrier", sim.noCarrierPattern);
    checkPattern(path + ".fail", sim.failPattern);
    checkRange(path + ".fail_after_pages", sim.failAfterPages, 0, kMaxFailAfterPages);
    checkPrintableAscii(path + ".remote_csid", sim.remoteCsid, kMaxStationIdLength);
    if (!sim.exchangeDir.empty()) {
        if (sim.exchangeDir.size() > kMaxPathLength || sim.exchangeDir.front() != '/' ||
            printableUtf8Characters(sim.exchangeDir) < 0) {
            fail(path + ".exchange_dir",
                 "expected an absolute path or \"\", got " + quoted(sim.exchangeDir));
        }
        if (number.empty()) {
            fail(path + ".exchange_dir",
                 "needs the line's number (other sim lines dial it through the exchange)");
        }
    }
}

void checkLine(const std::string& path, const LineSettings& line) {
    if (!isIdentifier(line.id)) {
        fail(path + ".id", "expected 1..64 letters, digits, '_' or '-', got " + quoted(line.id));
    }
    if (line.driver != "sim") {
        fail(path + ".driver", "expected one of sim, got " + quoted(line.driver));
    }
    if (!line.number.empty() && !isPhoneNumber(line.number)) {
        fail(path + ".number", "expected digits with an optional leading '+' (at most " +
                                   std::to_string(kMaxNumberLength) + "), or \"\", got " +
                                   quoted(line.number));
    }
    checkPrintableAscii(path + ".station_id", line.stationId, kMaxStationIdLength);
    int64_t headerCharacters = printableUtf8Characters(line.header);
    if (headerCharacters < 0 || headerCharacters > static_cast<int64_t>(kMaxHeaderCharacters)) {
        fail(path + ".header", "expected at most " + std::to_string(kMaxHeaderCharacters) +
                                   " printable characters, got " + quoted(line.header));
    }
    if (std::find(std::begin(kBitRates), std::end(kBitRates), line.maxBitRate) ==
        std::end(kBitRates)) {
        fail(path + ".max_bit_rate",
             "expected one of 2400, 4800, 7200, 9600, 12000, 14400, 33600, got " +
                 std::to_string(line.maxBitRate));
    }
    if (std::find(std::begin(kResolutions), std::end(kResolutions), line.resolution) ==
        std::end(kResolutions)) {
        fail(path + ".resolution",
             "expected one of standard, fine, superfine, got " + quoted(line.resolution));
    }
    bool prefixOk =
        line.dialPrefix.size() <= kMaxDialPrefixLength &&
        std::all_of(line.dialPrefix.begin(), line.dialPrefix.end(), [](unsigned char c) {
            return std::isdigit(c) || c == '*' || c == '#' || c == ',';
        });
    if (!prefixOk) {
        fail(path + ".dial_prefix", "expected at most " + std::to_string(kMaxDialPrefixLength) +
                                        " of digits, '*', '#', ',', got " +
                                        quoted(line.dialPrefix));
    }
    checkRange(path + ".concurrency", line.concurrency, 1, kMaxConcurrency);
    checkSim(path + ".sim", line.sim, line.number);
}

// Reads the fields of one JSON object by name, checking their JSON types; remembers which
// names were read so that the rest can be refused as unknown.
class ObjectReader {
  public:
    ObjectReader(Object::Ptr object, std::string path)
        : object_(std::move(object)), path_(std::move(path)) {}

    std::string pathOf(const std::string& key) const {
        return path_.empty() ? key : path_ + "." + key;
    }

    bool has(const std::string& key) {
        known_.insert(key);
        return object_->has(key);
    }

    void readString(const std::string& key, std::string& value) {
        if (!has(key)) return;
        Var raw = object_->get(key);
        if (!raw.isString()) fail(pathOf(key), "expected a string, got " + describe(raw));
        value = raw.extract<std::string>();
    }

    void readString(const std::string& key, std::optional<std::string>& value) {
        if (!has(key)) return;
        std::string text;
        readString(key, text);
        value = text;
    }

    void readInteger(const std::string& key, int64_t& value) {
        if (!has(key)) return;
        Var raw = object_->get(key);
        if (!raw.isInteger() || raw.isBoolean()) {
            fail(pathOf(key), "expected an integer, got " + describe(raw));
        }
        try {
            value = raw.convert<int64_t>();
        } catch (const Poco::Exception&) {
            fail(pathOf(key), "expected an integer, got " + describe(raw));
        }
    }

    // An int field: its range is checked here, before narrowing.
    void readInteger(const std::string& key, int& value, int64_t min, int64_t max) {
        if (!has(key)) return;
        int64_t wide = value;
        readInteger(key, wide);
        checkRange(pathOf(key), wide, min, max);
        value = static_cast<int>(wide);
    }

    void readBool(const std::string& key, bool& value) {
        if (!has(key)) return;
        Var raw = object_->get(key);
        if (!raw.isBoolean()) fail(pathOf(key), "expected true or false, got " + describe(raw));
        value = raw.extract<bool>();
    }

    void require(const std::string& key) {
        if (!has(key)) fail(pathOf(key), "required");
    }

    // The object under `key` (which must be present).
    Object::Ptr object(const std::string& key) {
        known_.insert(key);
        Var raw = object_->get(key);
        if (raw.type() != typeid(Object::Ptr)) {
            fail(pathOf(key), "expected an object, got " + describe(raw));
        }
        return raw.extract<Object::Ptr>();
    }

    Array::Ptr array(const std::string& key) {
        known_.insert(key);
        Var raw = object_->get(key);
        if (raw.type() != typeid(Array::Ptr)) {
            fail(pathOf(key), "expected an array, got " + describe(raw));
        }
        return raw.extract<Array::Ptr>();
    }

    void rejectUnknownFields() const {
        std::vector<std::string> names;
        object_->getNames(names);
        for (const std::string& name : names) {
            if (known_.count(name) == 0) fail(pathOf(name), "unknown field");
        }
    }

  private:
    Object::Ptr object_;
    std::string path_;
    std::set<std::string> known_;
};

SimLineSettings parseSim(Object::Ptr object, const std::string& path) {
    ObjectReader reader(std::move(object), path);
    SimLineSettings sim;
    reader.readInteger("dial_ms", sim.dialMs);
    reader.readInteger("page_ms", sim.pageMs);
    reader.readString("busy", sim.busyPattern);
    reader.readString("no_answer", sim.noAnswerPattern);
    reader.readString("no_carrier", sim.noCarrierPattern);
    reader.readString("fail", sim.failPattern);
    reader.readInteger("fail_after_pages", sim.failAfterPages, 0, kMaxFailAfterPages);
    reader.readString("remote_csid", sim.remoteCsid);
    reader.readString("exchange_dir", sim.exchangeDir);
    reader.rejectUnknownFields();
    return sim;
}

LineSettings parseLine(Object::Ptr object, const std::string& path) {
    ObjectReader reader(std::move(object), path);
    LineSettings line;
    reader.require("id");
    reader.readString("id", line.id);
    reader.readString("driver", line.driver);
    reader.readString("number", line.number);
    reader.readString("station_id", line.stationId);
    reader.readString("header", line.header);
    reader.readInteger("max_bit_rate", line.maxBitRate, std::numeric_limits<int>::min(),
                       std::numeric_limits<int>::max());
    reader.readBool("ecm", line.ecm);
    reader.readString("resolution", line.resolution);
    reader.readString("dial_prefix", line.dialPrefix);
    reader.readInteger("concurrency", line.concurrency, 1, kMaxConcurrency);
    if (reader.has("sim")) {
        if (line.driver != "sim") fail(reader.pathOf("sim"), "only for driver \"sim\"");
        line.sim = parseSim(reader.object("sim"), reader.pathOf("sim"));
    }
    reader.rejectUnknownFields();
    return line;
}

RetrySettings parseRetry(Object::Ptr object) {
    ObjectReader reader(std::move(object), "retry");
    RetrySettings retry;
    for (const char* key : {"busy_retry_ms", "failure_retry_ms", "max_dials", "max_connected_tries",
                            "kill_time_ms"}) {
        reader.require(key);
    }
    reader.readInteger("busy_retry_ms", retry.busyRetryMs);
    reader.readInteger("failure_retry_ms", retry.failureRetryMs);
    reader.readInteger("max_dials", retry.maxDials, 1, 1000);
    reader.readInteger("max_connected_tries", retry.maxConnectedTries, 1, 1000);
    reader.readInteger("kill_time_ms", retry.killTimeMs);
    reader.rejectUnknownFields();
    return retry;
}

Object::Ptr simToJson(const SimLineSettings& sim) {
    Object::Ptr object = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    object->set("dial_ms", sim.dialMs);
    object->set("page_ms", sim.pageMs);
    object->set("busy", sim.busyPattern);
    object->set("no_answer", sim.noAnswerPattern);
    object->set("no_carrier", sim.noCarrierPattern);
    object->set("fail", sim.failPattern);
    object->set("fail_after_pages", sim.failAfterPages);
    object->set("remote_csid", sim.remoteCsid);
    object->set("exchange_dir", sim.exchangeDir);
    return object;
}

Object::Ptr lineToJson(const LineSettings& line) {
    Object::Ptr object = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    object->set("id", line.id);
    object->set("driver", line.driver);
    object->set("number", line.number);
    object->set("station_id", line.stationId);
    object->set("header", line.header);
    object->set("max_bit_rate", line.maxBitRate);
    object->set("ecm", line.ecm);
    object->set("resolution", line.resolution);
    object->set("dial_prefix", line.dialPrefix);
    object->set("concurrency", line.concurrency);
    if (line.driver == "sim") object->set("sim", simToJson(line.sim));
    return object;
}

}  // namespace

NodeSettings parseNodeSettings(const std::string& json) {
    Object::Ptr root;
    try {
        Poco::JSON::Parser parser;
        Var parsed = parser.parse(json);
        if (parsed.type() != typeid(Object::Ptr)) {
            fail("settings", "expected a JSON object, got " + describe(parsed));
        }
        root = parsed.extract<Object::Ptr>();
    } catch (const Poco::Exception& e) {
        fail("settings", "not valid JSON: " + e.displayText());
    }

    ObjectReader reader(root, "");
    NodeSettings settings;
    reader.readInteger("version", settings.version);
    if (reader.has("secret_set")) {  // read-only, as the gateway answers it: ignored
        bool ignored = false;
        reader.readBool("secret_set", ignored);
    }
    reader.require("node_id");
    reader.readString("node_id", settings.nodeId);
    reader.readString("url", settings.url);
    reader.readString("secret", settings.secret);
    if (reader.has("keep_lines_for_receive")) {
        int keep = 0;
        reader.readInteger("keep_lines_for_receive", keep, 0, kMaxKeepLinesForReceive);
        settings.keepLinesForReceive = keep;
    }
    if (reader.has("retry")) settings.retry = parseRetry(reader.object("retry"));
    reader.readString("time_zone", settings.timeZone);
    reader.require("lines");
    Array::Ptr lines = reader.array("lines");
    if (lines->size() > kMaxLines) {
        fail("lines", "at most " + std::to_string(kMaxLines) + " lines, got " +
                          std::to_string(lines->size()));
    }
    for (size_t i = 0; i < lines->size(); ++i) {
        std::string path = "lines[" + std::to_string(i) + "]";
        Var line = lines->get(static_cast<unsigned int>(i));
        if (line.type() != typeid(Object::Ptr)) {
            fail(path, "expected an object, got " + describe(line));
        }
        settings.lines.push_back(parseLine(line.extract<Object::Ptr>(), path));
    }
    reader.rejectUnknownFields();

    validateNodeSettings(settings);
    return settings;
}

void validateNodeSettings(const NodeSettings& settings) {
    if (settings.version < 0) {
        fail("version", "expected an integer >= 0, got " + std::to_string(settings.version));
    }
    if (!isIdentifier(settings.nodeId)) {
        fail("node_id",
             "expected 1..64 letters, digits, '_' or '-', got " + quoted(settings.nodeId));
    }
    if (settings.url) checkUrl(*settings.url);
    if (settings.secret) {
        const std::string& secret = *settings.secret;
        // The value itself is never part of a message.
        if (secret.size() < kMinSecretLength || secret.size() > kMaxSecretLength ||
            !isPrintableAscii(secret)) {
            fail("secret", "expected " + std::to_string(kMinSecretLength) + ".." +
                               std::to_string(kMaxSecretLength) +
                               " printable ASCII characters (value not shown)");
        }
    }
    if (settings.keepLinesForReceive) {
        checkRange("keep_lines_for_receive", *settings.keepLinesForReceive, 0,
                   kMaxKeepLinesForReceive);
    }
    if (settings.retry) checkRetry(*settings.retry);
    checkTimeZone(settings.timeZone);
    if (settings.lines.empty() || settings.lines.size() > kMaxLines) {
        fail("lines", "expected 1.." + std::to_string(kMaxLines) + " lines, got " +
                          std::to_string(settings.lines.size()));
    }
    std::map<std::string, size_t> firstIndexOfId;
    for (size_t i = 0; i < settings.lines.size(); ++i) {
        std::string path = "lines[" + std::to_string(i) + "]";
        checkLine(path, settings.lines[i]);
        auto [it, inserted] = firstIndexOfId.emplace(settings.lines[i].id, i);
        if (!inserted) {
            fail(path + ".id", "duplicate line ID " + quoted(settings.lines[i].id) +
                                   " (also lines[" + std::to_string(it->second) + "])");
        }
    }
}

std::string toJson(const NodeSettings& settings, bool includeSecret) {
    Object root(Poco::JSON_PRESERVE_KEY_ORDER);
    root.set("version", settings.version);
    root.set("node_id", settings.nodeId);
    if (settings.url) root.set("url", *settings.url);
    if (settings.secret) {
        if (includeSecret) {
            root.set("secret", *settings.secret);
        } else {
            root.set("secret_set", true);
        }
    }
    root.set("time_zone", settings.timeZone);
    if (settings.keepLinesForReceive) {
        root.set("keep_lines_for_receive", *settings.keepLinesForReceive);
    }
    if (settings.retry) {
        Object::Ptr retry = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        retry->set("busy_retry_ms", settings.retry->busyRetryMs);
        retry->set("failure_retry_ms", settings.retry->failureRetryMs);
        retry->set("max_dials", settings.retry->maxDials);
        retry->set("max_connected_tries", settings.retry->maxConnectedTries);
        retry->set("kill_time_ms", settings.retry->killTimeMs);
        root.set("retry", retry);
    }
    Array::Ptr lines = new Array;
    for (const LineSettings& line : settings.lines) lines->add(lineToJson(line));
    root.set("lines", lines);

    std::ostringstream out;
    root.stringify(out);
    return out.str();
}

}  // namespace faxgate::settings
