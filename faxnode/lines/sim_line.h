// The simulated fax line: behaves like a real line as seen from the gateway (dial time,
// time per page, busy numbers, numbers that never answer, calls that drop) without any
// telephony, for demos, tests and load tests. Which numbers do what is configured with
// regular expressions matched against the whole dialled number (std::regex ECMAScript),
// checked in the order busy, no answer, no carrier, fail; any other number is sent
// successfully. Durations are real time.
#pragma once

#include <cstdint>
#include <optional>
#include <regex>
#include <string>

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
};

// Thread-safety: send() runs on one thread at a time (the line manager's per-call thread);
// the compiled patterns are only read after construction.
class SimLine : public Line {
  public:
    // Throws std::invalid_argument naming the setting (e.g. "sim.busy") if a pattern is not a
    // valid regular expression or a duration is negative.
    SimLine(LineSettings line, SimSettings sim);

    const std::string& id() const override { return line_.id; }
    CallResult send(const OutboundCall& call, const std::atomic<bool>& cancel) override;

  private:
    LineSettings line_;
    SimSettings options_;
    std::optional<std::regex> busy_;
    std::optional<std::regex> noAnswer_;
    std::optional<std::regex> noCarrier_;
    std::optional<std::regex> fail_;
};

// "45 s", "1.5 s", "0.05 s": a duration in plain words for reasons.
std::string formatSeconds(int64_t durationMs);

}  // namespace faxgate::node
