// The simulated fax line: behaves like a real line as seen from the gateway (dial time,
// time per page, busy numbers, numbers that never answer, calls that drop) without any
// telephony, for demos, tests and load tests. Which numbers do what is configured with
// regular expressions matched against the whole dialled number (OutboundCall::dialNumber: the
// line's dial prefix included; std::regex ECMAScript), checked in the order busy, no answer,
// no carrier, fail; any other number is sent successfully. Durations are real time.
//
// Receiving. A sim line with an inbox directory (the node gives each line
// `<spool_dir>/inbox/<line id>/`) polls it every 100 ms; a file `<name>.tif` there rings the
// line as an inbound call. An optional `<name>.json` beside it, written before the .tif,
// says who calls: {"caller_number": "0398765432", "remote_csid": "+81 3 9876 5432",
// "result": "partial", "pages": 1} ("result" ok|partial|failed, default ok; "pages" for
// partial). Write the .tif under a name starting with '.' and rename it into place, so the
// line never sees half a file. The call takes sim.page_ms per page, then its image (the .tif,
// unchanged) and reception record go to the node. While the line is not idle, the file
// waits. A .json that cannot be read sets both files aside as ".bad".
//
// Loop-back. Sim lines on one machine that share `sim.exchange_dir` call each other: each
// registers its number as `<exchange>/lines/<number>` (a JSON naming its line, inbox and
// station ID; removed when it stops). A sim line dialling a registered number (the job's
// number: the exchange stands behind the PBX that takes the dial prefix; and no
// sim.busy/... pattern matched) claims the receiver with `<exchange>/busy/<number>`
// (created exclusively; already there = busy), then delivers the job's TIFF unchanged plus
// the JSON above into the receiver's inbox (temp file + rename) and sends its pages as
// usual; the receiver takes it as an inbound call and frees the claim after its record. A
// line sending a fax holds its own claim too, so a call and a dispatch never meet on one line
// (a dispatch that finds a call ringing ends as no_carrier, like a real glare).
// Limits of the simulation: a partial reception keeps the whole image (a real driver keeps
// only the pages received), and a sender cancelled after connecting has already delivered.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>

#include "faxnode/lines/line.h"

namespace faxgate::node {

// The sim driver's own settings, the `sim.*` keys of a line's section (node_config.h).
struct SimSettings {
    int64_t dialMs = 1000;         // sim.dial_ms: from dialling to answer/busy/no answer/drop
    int64_t pageMs = 3000;         // sim.page_ms: time to send one page
    std::string busyPattern;       // sim.busy: numbers that are busy; empty = none
    std::string noAnswerPattern;   // sim.no_answer: numbers that never answer; empty = none
    std::string noCarrierPattern;  // sim.no_carrier: calls that drop before the fax session
    std::string failPattern;       // sim.fail: calls whose fax session fails mid-page
    int failAfterPages = 0;        // sim.fail_after_pages: ... after this many confirmed pages
    std::string remoteCsid;        // sim.remote_csid: far end's CSID; empty = "+" and the digits
    int maxPages = 1000;           // (not a key) a TIFF with more pages fails the call
    std::string exchangeDir;       // sim.exchange_dir: shared by sim lines that call each
                                   //   other on this machine; empty = no loop-back
    std::string inboxDir;          // (not a key) where inbound calls are dropped; the node sets
                                   //   <spool_dir>/inbox/<line id>; empty = never receives
    int64_t inboxPollMs = 100;     // (not a key) how often the inbox is looked at
    int64_t maxInboxImageBytes = 64LL * 1024 * 1024;  // (not a key) larger images fail
    int64_t staleClaimMs = 30000;  // (not a key) a claim on our number with no call behind it
                                   //   is dropped after this long (its caller died)
};

// A line with concurrency N is N SimLine instances (line_drivers.h); only the first receives
// and registers in the exchange, so an exchange call reaches a line one at a time.
//
// Thread-safety: send() runs on one thread at a time (the line manager's per-call thread);
// the compiled patterns are only read after construction. Receiving runs on a thread of the
// line's own, started by startReceiving() and joined by stopReceiving() (or the destructor);
// stopMutex_ guards the stop flag, the rest of the receiving state is that thread's alone.
class SimLine : public Line {
  public:
    // Throws std::invalid_argument naming the setting (e.g. "sim.busy") if a pattern is not a
    // valid regular expression or a duration is negative.
    SimLine(LineSettings line, SimSettings sim);
    ~SimLine() override;

    SimLine(const SimLine&) = delete;
    SimLine& operator=(const SimLine&) = delete;

    const std::string& id() const override { return line_.id; }
    CallResult send(const OutboundCall& call, const std::atomic<bool>& cancel) override;

    // Creates the inbox, registers the number in the exchange (if any) and starts polling.
    // Without an inbox directory it does nothing. Throws std::runtime_error with the reason.
    void startReceiving(InboundSink& sink) override;
    void stopReceiving() override;

  private:
    struct InboxCall;  // one call found in the inbox

    void receiveLoop();
    // Returns false when the line could not take the call now (try again later).
    bool receiveFromInbox(const std::string& tiffPath);
    // Sleeps `durationMs` unless stopReceiving() is called first; false if it was.
    bool sleepUnlessStopped(int64_t durationMs);
    void dropStaleClaim();
    std::string claimPath(const std::string& number) const;

    // Loop-back delivery to a line registered in the exchange. Empty optional: the number
    // is not registered there; otherwise the call's outcome so far (busy, no_carrier, or
    // "connected" with the receiver's station ID in `remoteCsid`).
    std::optional<CallResult> deliverThroughExchange(const OutboundCall& call, int pagesTotal,
                                                     int failAfterPages);

    LineSettings line_;
    SimSettings options_;
    std::optional<std::regex> busy_;
    std::optional<std::regex> noAnswer_;
    std::optional<std::regex> noCarrier_;
    std::optional<std::regex> fail_;

    InboundSink* sink_ = nullptr;
    std::thread receiver_;
    std::mutex stopMutex_;
    std::condition_variable stopSignal_;
    bool stopRequested_ = false;           // REQUIRES stopMutex_
    std::atomic<bool> registered_{false};  // our number is in the exchange
    std::atomic<bool> sending_{false};     // send() holds our own claim
};

// "45 s", "1.5 s", "0.05 s": a duration in plain words for reasons.
std::string formatSeconds(int64_t durationMs);

}  // namespace faxgate::node
