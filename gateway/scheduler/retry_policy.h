// What happens to a job after one call: done, tried again later, or given up. Pure functions
// of the job, the call's result and the node's retry policy, so the rules a HylaFAX admin
// knows (kill time, maximum dials, maximum connected tries, retry delays) are tested alone.
#pragma once

#include <cstdint>
#include <string>

#include "gateway/store/types.h"

namespace faxgate::gateway {

// The call's result as the node reported it (docs/node-protocol.md).
struct CallOutcome {
    std::string result;  // ok, busy, no_answer, no_carrier, failed, rejected, cancelled
    std::string reason;  // plain words from the node
    int pages = 0;       // pages the far end confirmed
};

// Returns the job as it stands after the call: counters, pagesSent, state (Done, RetryWait,
// Failed or Cancelled), notBeforeMs for a retry, lastResult/lastReason in plain words.
Job applyCallOutcome(Job job, const CallOutcome& outcome, const RetryPolicy& policy, int64_t nowMs);

// A result code means a fax session with the far end started (counts as a connected try).
bool isConnectedResult(const std::string& result);

}  // namespace faxgate::gateway
