// A fax node's settings document (docs/settings.md, "The node settings document"): the one
// definition of its fields, their defaults and their validation, shared by the gateway (which
// validates a registration before storing it) and the node (which validates again before
// applying it). JSON in and out with Poco::JSON.
//
// Diagnostics: SettingsError whose message starts with the field's path,
// e.g. "lines[1].max_bit_rate: expected one of 2400, ..., got 9000". Unknown fields are
// errors too, so a misspelt key is never silently ignored.
//
// Knows nothing of the gateway or the node: plain values only.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace faxgate::settings {

class SettingsError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// The simulated line's outcomes (faxnode/lines/sim_line.h explains each).
struct SimLineSettings {
    int64_t dialMs = 1000;         // "dial_ms": 0..600000
    int64_t pageMs = 3000;         // "page_ms": 0..600000
    std::string busyPattern;       // "busy": ECMAScript regular expression over the number dialled
    std::string noAnswerPattern;   // "no_answer"
    std::string noCarrierPattern;  // "no_carrier"
    std::string failPattern;       // "fail"
    int failAfterPages = 0;        // "fail_after_pages": 0..1000
    std::string remoteCsid;        // "remote_csid": at most 20 printable ASCII characters
    std::string exchangeDir;       // "exchange_dir": absolute path, or empty
    bool operator==(const SimLineSettings&) const = default;
};

struct LineSettings {
    std::string id;                   // "id": [A-Za-z0-9_-], 1..64 characters, unique per node
    std::string driver = "sim";       // "driver": "sim" in this version
    std::string number;               // "number": the line's own number (DID): digits, optional
                                      //   leading '+', 1..32; may be empty (no inbound DID)
    std::string stationId;            // "station_id": TSI/CSID, <= 20 printable ASCII
    std::string header;               // "header": header line text, <= 50 printable characters
    int maxBitRate = 14400;           // "max_bit_rate": 2400, 4800, 7200, 9600, 12000, 14400, 33600
    bool ecm = true;                  // "ecm"
    std::string resolution = "fine";  // "resolution": "standard", "fine" or "superfine"
    std::string dialPrefix;           // "dial_prefix": digits, '*', '#', ','; <= 16
    int concurrency = 1;              // "concurrency": calls at once, 1..256
    SimLineSettings sim;              // "sim": only for driver "sim"
    bool operator==(const LineSettings&) const = default;
};

// The gateway's retry policy for jobs sent through this node (gateway/store/types.h
// RetryPolicy). All fields are required when the object is given.
struct RetrySettings {
    int64_t busyRetryMs = 0;     // "busy_retry_ms": 100..86400000
    int64_t failureRetryMs = 0;  // "failure_retry_ms": 100..86400000
    int maxDials = 0;            // "max_dials": 1..1000
    int maxConnectedTries = 0;   // "max_connected_tries": 1..1000
    int64_t killTimeMs = 0;      // "kill_time_ms": 60000..2592000000 (30 days)
    bool operator==(const RetrySettings&) const = default;
};

struct NodeSettings {
    int64_t version = 0;  // "version": read-only; in a registration the base version
                          //   (absent = 0 = "do not check")
    std::string nodeId;   // "node_id": required
    // Fields the gateway uses; absent in a registration = keep what the gateway has.
    std::optional<std::string> url;          // "url": http:// or https:// URL of the node's API
    std::optional<std::string> secret;       // "secret": write-only, 8..256 characters
    std::optional<int> keepLinesForReceive;  // "keep_lines_for_receive": 0..1000
    std::optional<RetrySettings> retry;      // "retry"
    // Fields the node applies.
    std::string timeZone = "UTC";     // "time_zone": IANA name present in /usr/share/zoneinfo
    std::vector<LineSettings> lines;  // "lines": 1..256 lines
    bool operator==(const NodeSettings&) const = default;
};

// Parses and validates a JSON document. Throws SettingsError (bad JSON is an error whose
// path is "settings").
NodeSettings parseNodeSettings(const std::string& json);

// Checks every field of settings built in code (parseNodeSettings already did).
void validateNodeSettings(const NodeSettings& settings);

// The document as JSON text. The secret is written only when `includeSecret` and set; when
// it is set but not included, "secret_set": true is written instead. Fields that are
// std::nullopt are left out. Stable key order, so two equal documents give equal text.
std::string toJson(const NodeSettings& settings, bool includeSecret);

}  // namespace faxgate::settings
