// The seam between the fax node and its fax line drivers: a Line places one outbound call
// at a time and tells what came of it, and reports the calls that come in to an InboundSink.
// Drivers: `sim` (simulated line, sim_line.h) now, SIP/SpanDSP later. Whether a line is idle,
// sending or receiving is the line manager's business (faxnode/line_manager.h), not the
// driver's: a driver asks the sink whether it may answer a ringing call, receives the image
// into the file the sink names, and hands back a reception record.
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

// Result codes of a reception, exactly as in docs/node-protocol.md ("Received faxes").
namespace reception_result {
inline constexpr const char* kOk = "ok";            // every page the caller sent was received
inline constexpr const char* kPartial = "partial";  // the call ended early; `pages` are usable
inline constexpr const char* kFailed = "failed";    // nothing usable was received, no image
}  // namespace reception_result

// Settings every driver gets: the driver's part of the line's settings (common/node_settings.h,
// from the INI file's `[line.<id>]` section or from the gateway), built by
// faxnode/line_drivers.h. The line's dial prefix and concurrency are the line manager's.
struct LineSettings {
    std::string id;          // line ID, e.g. "sim-1": [A-Za-z0-9_-]
    std::string number;      // the line's own number (DID)
    std::string stationId;   // our TSI/CSID, e.g. "+81 3 1234 5678" (at most 20 characters)
    std::string header;      // header line text printed on top of each page
    int maxBitRate = 14400;  // highest bit rate to negotiate, bit/s (2400..33600)
    bool ecm = true;         // use error correction mode
    std::string resolution = "fine";  // highest resolution offered: standard, fine, superfine
    std::string timeZone = "UTC";     // IANA zone of the time stamp in the header line
};

// One outbound fax to place: a job's attempt, as dispatched by the gateway.
struct OutboundCall {
    int64_t jobId = 0;
    int attempt = 0;
    std::string number;      // digits with an optional leading '+', as the gateway sent it
    std::string tiffPath;    // the pages to send (G4 TIFF, 1728 px wide), on local disk
    int pagesTotal = 0;      // pages the gateway says the TIFF holds
    std::string resolution;  // "fine" or "normal"
    std::string dialNumber;  // what the line dials: its dial prefix, then `number`
                             //   (empty: `number`)
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

// What came of an inbound call: the reception record as the driver saw it.
struct ReceptionResult {
    std::string result;        // one of reception_result::k*
    std::string reason;        // plain words for the administrator and the recipients
    std::string calledNumber;  // the number that was called: the line's own number
    std::string callerNumber;  // the caller's number (CLI); empty when withheld
    std::string remoteCsid;    // the caller's station ID (TSI); empty when never sent
    int pages = 0;             // pages received and usable
    int pagesTotal = 0;        // pages the caller announced or sent, as far as known
    int bitRate = 0;           // bit/s of the fax session; 0 when never connected
    bool ecm = false;          // error correction mode was used
    int64_t startedMs = 0;     // ms since the Unix epoch
    int64_t endedMs = 0;
    bool hasImage = false;  // the file the sink named holds the received pages (never for failed)
};

// The sink's answer to a ringing call.
struct InboundAnswer {
    bool accepted = false;  // false: the line is not idle (or the node stops); report busy
    std::string tiffPath;   // when accepted: where the driver writes the received image
};

// Where a line reports inbound calls: implemented by the line manager. Both calls come from
// the driver's own thread, one call at a time per line; a driver calls receptionEnded()
// exactly once for every accepted call, also when it stops.
class InboundSink {
  public:
    virtual ~InboundSink() = default;
    // A call rings on `lineId`. If accepted, the line is now "receiving" (no job is given to
    // it) until receptionEnded(). Never blocks for long.
    virtual InboundAnswer incomingCall(const std::string& lineId,
                                       const std::string& callerNumber) = 0;
    // The reception is over. Returns once the image and the record are safe in the spool; the
    // line is idle again after that. The driver must not touch the image file afterwards.
    virtual void receptionEnded(const std::string& lineId, const ReceptionResult& result) = 0;
};

// A fax line, or one channel of a line that carries several calls at once (settings
// "concurrency"): the line manager makes one instance per channel, all with the line's ID, and
// lets only channel 0 receive. send() blocks for the whole call and runs on a thread of the
// line manager's, one call per instance at a time; it must return soon (within ~50 ms) after
// `cancel` turns true, with result "cancelled". send() may run while the same instance's
// receiving side runs on its own thread. Implementations need not be thread-safe beyond that.
class Line {
  public:
    virtual ~Line() = default;
    virtual const std::string& id() const = 0;
    virtual CallResult send(const OutboundCall& call, const std::atomic<bool>& cancel) = 0;

    // Starts answering inbound calls and reporting them to `sink` (which outlives the line's
    // receiving). A line that cannot receive keeps the default, which does nothing. Throws
    // std::runtime_error with the reason if the line cannot set up its receiving side.
    virtual void startReceiving(InboundSink& sink) { (void)sink; }
    // Stops answering; a reception in progress ends at once (its record still reaches the
    // sink). After return the sink is never called again. Idempotent.
    virtual void stopReceiving() {}
};

}  // namespace faxgate::node
