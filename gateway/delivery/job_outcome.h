// What became of a job, in words a fax user understands. This is the one place that turns a
// job's state and result code (docs/node-protocol.md, plus the gateway's own codes
// "unreachable", "conversion_failed", "timed_out", "killed", "rejected", "too_many_dials",
// "too_many_tries") into a verdict and plain words; result mails and notices use only this.
//
// The rule that matters most: a job counts as sent only when the far end confirmed every page.
// A job in state Done with no confirmed page is reported as failed ("no page was confirmed"),
// and one with fewer pages confirmed than it had is reported as failed with the count.
#pragma once

#include <string>

#include "gateway/store/types.h"

namespace faxgate::gateway {

enum class OutcomeKind {
    Sent,              // every page confirmed by the receiving machine
    Failed,            // tried and gave up (busy, no answer, transmission failures, ...)
    TimedOut,          // kill time reached or stopped ("timed_out", "killed")
    Rejected,          // the number was refused before dialling ("rejected")
    ConversionFailed,  // the mail could not be turned into fax pages
    Cancelled,         // cancelled by the user or an administrator
    InProgress,        // not final yet (no report should be sent for it)
};

struct JobOutcome {
    OutcomeKind kind = OutcomeKind::InProgress;
    std::string label;   // short, for subjects and tables: "sent", "busy", "timed out"
    std::string reason;  // a plain sentence: "the number was busy"
};

// A result code in words: {label, sentence}. Unknown codes give a label naming the code.
struct ResultWords {
    std::string label;
    std::string sentence;
};
ResultWords describeResult(const std::string& resultCode);

// The sentence for `resultCode`, with the node's `detail` (its own words) in brackets when it
// adds something: "the fax transmission started but failed (DCN after page 1)".
std::string resultReason(const std::string& resultCode, const std::string& detail);

// The verdict on one job of `submission`.
JobOutcome outcomeOf(const Submission& submission, const Job& job);

// The verdict when the submission failed before it had jobs to look at.
JobOutcome conversionFailure(const Submission& submission);

}  // namespace faxgate::gateway
