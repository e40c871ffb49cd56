// The seam between the fax node and its fax line drivers: a Line places one outbound call
// at a time and tells what came of it. Drivers: `sim` (simulated line, sim_line.h) now,
// SIP/SpanDSP later. Whether a line is idle or busy is the line manager's business
// (faxnode/line_manager.h), not the driver's: a driver only knows how to make a call.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace faxgate::node {

// Result codes of a call, exactly as in docs/node-protocol.md.
namespace call_result {
inline constexpr const char* kOk = "ok";                 // every page confirmed by the far end
inline constexpr const char* kBusy = "busy";             // the number was busy
inline constexpr const char* kNoAnswer = "no_answer";    // nobody answered / no fax tone
inline constexpr const char* kNoCarrier = "no_carrier";  // dropped before the fax session
inline constexpr const char* kFailed = "failed";         // fax session started and failed
inline constexpr const char* kCancelled = "cancelled";   // aborted on the gateway's request
}  // namespace call_result

// Settings every driver gets, from the line's `[line.<id>]` section (node_config.h).
struct LineSettings {
    std::string id;          // line ID, e.g. "sim-1": [A-Za-z0-9_-]
    std::string number;      // the line's own number (DID)
    std::string stationId;   // our TSI/CSID, e.g. "+81 3 1234 5678" (at most 20 characters)
    std::string header;      // header line text printed on top of each page
    int maxBitRate = 14400;  // highest bit rate to negotiate, bit/s (2400..33600)
    bool ecm = true;         // use error correction mode
};

// One outbound fax to place: a job's attempt, as dispatched by the gateway.
struct OutboundCall {
    int64_t jobId = 0;
    int attempt = 0;
    std::string number;      // digits with an optional leading '+', as the gateway sent it
    std::string tiffPath;    // the pages to send (G4 TIFF, 1728 px wide), on local disk
    int pagesTotal = 0;      // pages the gateway says the TIFF holds
    std::string resolution;  // "fine" or "normal"
};

// What came of a call. `pages` counts pages confirmed by the receiver.
struct CallResult {
    std::string result;  // one of call_result::k*
    std::string reason;  // plain words for the sender
    int pages = 0;
    int pagesTotal = 0;
    std::string remoteCsid;  // the receiver's station ID; empty when never connected
    int bitRate = 0;         // bit/s of the fax session; 0 when never connected
    bool ecm = false;        // error correction mode was used
    int64_t startedMs = 0;   // ms since the Unix epoch
    int64_t endedMs = 0;
};

// A fax line. send() blocks for the whole call and runs on a thread of the line manager's,
// one call per line at a time; it must return soon (within ~50 ms) after `cancel` turns true,
// with result "cancelled". Implementations need not be thread-safe beyond that.
class Line {
  public:
    virtual ~Line() = default;
    virtual const std::string& id() const = 0;
    virtual CallResult send(const OutboundCall& call, const std::atomic<bool>& cancel) = 0;
};

}  // namespace faxgate::node
