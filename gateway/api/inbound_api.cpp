// The received-fax handler of the node protocol; see inbound_api.h.
#include "gateway/api/inbound_api.h"

#include <Poco/JSON/Array.h>

#include <array>

#include "gateway/api/json_http.h"
#include "gateway/store/sqlite_store.h"

namespace faxgate::gateway {
namespace {

// Longest text field of a reception record (line, numbers, CSID; reason gets more room).
constexpr size_t kMaxFieldBytes = 255;
constexpr size_t kMaxReasonBytes = 1000;
// A fax of more pages than this is not a fax (tiff_to_pdf refuses more as well).
constexpr int64_t kMaxPages = 1000;

std::string boundedString(const Poco::JSON::Object& object, const std::string& field, bool required,
                          size_t maxBytes) {
    std::string value = required ? requireString(object, field) : optionalString(object, field);
    if (value.size() > maxBytes) {
        throw HttpError(
            400, "field '" + field + "' is longer than " + std::to_string(maxBytes) + " bytes");
    }
    return value;
}

CommunicationRecord parseReception(const Poco::JSON::Object& object) {
    CommunicationRecord record;
    record.recordId = boundedString(object, "record_id", true, kMaxStoreIdBytes);
    if (record.recordId.empty()) throw HttpError(400, "field 'record_id' is empty");
    record.direction = requireString(object, "direction");
    if (record.direction != "receive") {
        throw HttpError(400, "field 'direction' must be 'receive' for an inbound fax");
    }
    record.nodeId = boundedString(object, "node_id", true, kMaxStoreIdBytes);
    record.line = boundedString(object, "line", false, kMaxFieldBytes);
    record.calledNumber = boundedString(object, "called_number", false, kMaxFieldBytes);
    record.callerNumber = boundedString(object, "caller_number", false, kMaxFieldBytes);
    record.number = boundedString(object, "number", false, kMaxFieldBytes);
    record.remoteCsid = boundedString(object, "remote_csid", false, kMaxFieldBytes);
    const int64_t pages = optionalInt(object, "pages");
    const int64_t pagesTotal = optionalInt(object, "pages_total");
    const int64_t bitRate = optionalInt(object, "bit_rate");
    if (pages < 0 || pagesTotal < 0 || pages > kMaxPages || pagesTotal > kMaxPages) {
        throw HttpError(400, "page counts must be in 0.." + std::to_string(kMaxPages));
    }
    if (bitRate < 0 || bitRate > 1000000) throw HttpError(400, "field 'bit_rate' is out of range");
    record.pages = static_cast<int>(pages);
    record.pagesTotal = static_cast<int>(pagesTotal);
    record.bitRate = static_cast<int>(bitRate);
    record.durationMs = optionalInt(object, "duration_ms");
    if (record.durationMs < 0) throw HttpError(400, "field 'duration_ms' cannot be negative");
    record.ecm = optionalBool(object, "ecm");
    record.result = requireString(object, "result");
    if (record.result != "ok" && record.result != "partial" && record.result != "failed") {
        throw HttpError(400, "field 'result' of a reception must be ok, partial or failed");
    }
    record.reason = boundedString(object, "reason", false, kMaxReasonBytes);
    record.startedMs = optionalInt(object, "started_ms");
    record.endedMs = optionalInt(object, "ended_ms");
    if (record.startedMs < 0 || record.endedMs < 0) {
        throw HttpError(400, "times cannot be negative");
    }
    return record;
}

}  // namespace

bool decodeBase64Strict(std::string_view text, std::string& out) {
    static const std::array<int, 256> table = [] {
        std::array<int, 256> t{};
        t.fill(-1);
        const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = i;
        return t;
    }();
    out.clear();
    out.reserve(text.size() / 4 * 3);
    unsigned quantum = 0;
    int bits = 0;
    size_t symbols = 0;
    size_t padding = 0;
    for (char c : text) {
        if (c == '\r' || c == '\n' || c == ' ' || c == '\t') continue;
        if (c == '=') {
            ++padding;
            if (padding > 2) return false;
            continue;
        }
        if (padding > 0) return false;  // data after padding
        const int value = table[static_cast<unsigned char>(c)];
        if (value < 0) return false;
        ++symbols;
        quantum = (quantum << 6) | static_cast<unsigned>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((quantum >> bits) & 0xff);
        }
    }
    if (symbols % 4 == 1) return false;                             // impossible length
    if (padding > 0 && (symbols + padding) % 4 != 0) return false;  // wrong padding
    return true;
}

bool looksLikeTiff(std::string_view data) {
    return data.size() >= 8 && (data.substr(0, 4) == std::string_view("II*\0", 4) ||
                                data.substr(0, 4) == std::string_view("MM\0*", 4));
}

InboundApi::InboundApi(InboundDelivery& delivery) : delivery_(delivery) {}

Poco::JSON::Object InboundApi::handle(const std::string& nodeId, const Poco::JSON::Object& body) {
    Poco::JSON::Object::Ptr recordObject = body.getObject("record");
    if (!recordObject) throw HttpError(400, "field 'record' is missing or not an object");
    CommunicationRecord record = parseReception(*recordObject);
    if (record.nodeId != nodeId) {
        throw HttpError(
            403, "node '" + nodeId + "' cannot post receptions of node '" + record.nodeId + "'");
    }
    std::string tiff;
    if (body.has("tiff_base64") && !body.isNull("tiff_base64")) {
        const std::string encoded = requireString(body, "tiff_base64");
        if (!decodeBase64Strict(encoded, tiff)) {
            throw HttpError(400, "field 'tiff_base64' is not valid base64");
        }
    }
    if (record.result == "failed") {
        tiff.clear();  // "nothing usable was received": whatever came along is not delivered
    } else if (tiff.empty()) {
        throw HttpError(400, "field 'tiff_base64' is required unless the result is 'failed'");
    } else if (!looksLikeTiff(tiff)) {
        throw HttpError(400, "field 'tiff_base64' does not decode to a TIFF file");
    }
    InboundOutcome outcome = delivery_.deliver(record, tiff);
    Poco::JSON::Array::Ptr delivered = new Poco::JSON::Array;
    for (const std::string& user : outcome.deliveredTo) delivered->add(user);
    Poco::JSON::Object answer;
    answer.set("delivered_to", delivered);
    if (outcome.duplicate) answer.set("duplicate", true);
    return answer;
}

}  // namespace faxgate::gateway
