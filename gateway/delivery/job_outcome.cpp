// The table of result codes in words, and the verdict on a job; see job_outcome.h.
#include "gateway/delivery/job_outcome.h"

#include <array>
#include <string_view>

#include "gateway/delivery/mail_format.h"

namespace faxgate::gateway {
namespace {

struct ResultEntry {
    std::string_view code;
    std::string_view label;
    std::string_view sentence;
};

// Node results (docs/node-protocol.md) first, then the gateway's own codes.
constexpr std::array<ResultEntry, 14> kResults{{
    {"ok", "sent", "every page was confirmed by the receiving fax machine"},
    {"busy", "busy", "the number was busy"},
    {"no_answer", "no answer", "nobody answered, or no fax machine answered the call"},
    {"no_carrier", "call dropped", "the call dropped before the fax transmission started"},
    {"failed", "transmission failed", "the fax transmission started but failed"},
    {"cancelled", "cancelled", "the fax was cancelled"},
    {"unreachable", "no fax node", "no fax node could be reached to place the call"},
    {"conversion_failed", "conversion failed",
     "the document could not be converted into fax pages"},
    {"timed_out", "timed out", "the fax could not be sent within its time limit"},
    {"killed", "stopped", "the fax job was stopped before it could be sent"},
    {"rejected", "rejected", "the number was refused (not a valid or not an allowed number)"},
    {"too_many_dials", "too many dials",
     "the number was dialled the maximum number of times without success"},
    {"too_many_tries", "too many tries", "the fax transmission failed the maximum number of times"},
    {"no_pages", "no page confirmed", "no page was confirmed by the receiving fax machine"},
}};

// Node-supplied detail is appended to our sentence, cleaned and bounded.
constexpr size_t kMaxDetailBytes = 200;

std::string withDetail(const std::string& sentence, const std::string& detail) {
    std::string cleaned = cleanLine(detail, kMaxDetailBytes);
    if (cleaned.empty() || cleaned == sentence) return sentence;
    return sentence + " (" + cleaned + ")";
}

}  // namespace

ResultWords describeResult(const std::string& resultCode) {
    for (const ResultEntry& entry : kResults) {
        if (entry.code == resultCode) {
            return {std::string(entry.label), std::string(entry.sentence)};
        }
    }
    if (resultCode.empty()) return {"failed", "the fax could not be sent"};
    std::string code = cleanLine(resultCode, 40);
    return {code, "the fax could not be sent (result \"" + code + "\")"};
}

std::string resultReason(const std::string& resultCode, const std::string& detail) {
    return withDetail(describeResult(resultCode).sentence, detail);
}

JobOutcome conversionFailure(const Submission& submission) {
    ResultWords words = describeResult("conversion_failed");
    return {OutcomeKind::ConversionFailed, words.label,
            withDetail(words.sentence, submission.failureReason)};
}

JobOutcome outcomeOf(const Submission& submission, const Job& job) {
    if (submission.state == SubmissionState::Failed || job.lastResult == "conversion_failed") {
        return conversionFailure(submission);
    }
    switch (job.state) {
        case JobState::Done: {
            if (job.pagesSent <= 0) {
                ResultWords words = describeResult("no_pages");
                return {OutcomeKind::Failed, words.label, words.sentence};
            }
            if (job.pagesTotal > 0 && job.pagesSent < job.pagesTotal) {
                return {OutcomeKind::Failed, "incomplete",
                        "only " + std::to_string(job.pagesSent) + " of " +
                            std::to_string(job.pagesTotal) +
                            " pages were confirmed by the receiving fax machine"};
            }
            ResultWords words = describeResult("ok");
            return {OutcomeKind::Sent, words.label, words.sentence};
        }
        case JobState::Cancelled: {
            ResultWords words = describeResult("cancelled");
            return {OutcomeKind::Cancelled, words.label,
                    withDetail(words.sentence, job.lastReason)};
        }
        case JobState::Failed: {
            ResultWords words = describeResult(job.lastResult);
            OutcomeKind kind = OutcomeKind::Failed;
            if (job.lastResult == "timed_out" || job.lastResult == "killed") {
                kind = OutcomeKind::TimedOut;
            } else if (job.lastResult == "rejected") {
                kind = OutcomeKind::Rejected;
            } else if (job.lastResult == "cancelled") {
                kind = OutcomeKind::Cancelled;
            }
            return {kind, words.label, withDetail(words.sentence, job.lastReason)};
        }
        case JobState::Converting:
        case JobState::Queued:
        case JobState::RetryWait:
        case JobState::Dispatched:
            break;
    }
    return {OutcomeKind::InProgress, "in progress", "the fax is still being sent"};
}

}  // namespace faxgate::gateway
