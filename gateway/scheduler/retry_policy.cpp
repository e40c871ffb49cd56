// Retry rules after a call; see retry_policy.h.
#include "gateway/scheduler/retry_policy.h"

#include <algorithm>

namespace faxgate::gateway {

bool isConnectedResult(const std::string& result) { return result == "ok" || result == "failed"; }

namespace {

Job giveUp(Job job, const std::string& result, const std::string& reason) {
    job.state = JobState::Failed;
    job.lastResult = result;
    job.lastReason = reason;
    return job;
}

}  // namespace

Job applyCallOutcome(Job job, const CallOutcome& outcome, const RetryPolicy& policy,
                     int64_t nowMs) {
    job.updatedMs = nowMs;
    job.dials += 1;
    if (isConnectedResult(outcome.result)) job.connectedTries += 1;
    job.pagesSent = std::max(job.pagesSent, outcome.pages);
    job.lastResult = outcome.result;
    job.lastReason = outcome.reason;

    if (outcome.result == "cancelled") {
        job.state = JobState::Cancelled;
        return job;
    }
    // "Done" means the far end confirmed every page; anything less is a failed try, so a
    // sender is never told a fax went out when no page arrived.
    if (outcome.result == "ok") {
        if (outcome.pages > 0 && outcome.pages >= job.pagesTotal) {
            job.state = JobState::Done;
            return job;
        }
        job.lastResult = "failed";
        job.lastReason = "the receiver confirmed only " + std::to_string(outcome.pages) + " of " +
                         std::to_string(job.pagesTotal) + " pages";
    }
    if (outcome.result == "rejected") {
        return giveUp(job, "rejected", outcome.reason);
    }
    // The job's own kill time (scheduler.kill_time_ms when it was accepted), shortened by
    // the kill time of the node that made this call, if that is stricter.
    const int64_t killAtMs = std::min(job.killAtMs, job.createdMs + policy.killTimeMs);
    if (nowMs >= killAtMs) {
        return giveUp(
            job, "timed_out",
            "the fax could not be sent before its kill time; last try: " + job.lastReason);
    }
    if (job.dials >= policy.maxDials) {
        return giveUp(
            job, "too_many_dials",
            "gave up after " + std::to_string(job.dials) + " calls; last try: " + job.lastReason);
    }
    if (job.connectedTries >= policy.maxConnectedTries) {
        return giveUp(job, "too_many_tries",
                      "gave up after " + std::to_string(job.connectedTries) +
                          " connected tries; last try: " + job.lastReason);
    }
    bool notReached = outcome.result == "busy" || outcome.result == "no_answer";
    int64_t delayMs = notReached ? policy.busyRetryMs : policy.failureRetryMs;
    if (nowMs + delayMs >= killAtMs) {
        return giveUp(
            job, "timed_out",
            "no time left for another try before the kill time; last try: " + job.lastReason);
    }
    job.state = JobState::RetryWait;
    job.notBeforeMs = nowMs + delayMs;
    return job;
}

}  // namespace faxgate::gateway
