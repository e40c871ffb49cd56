#include "gateway/scheduler/retry_policy.h"

#include <gtest/gtest.h>

namespace faxgate::gateway {
namespace {

constexpr int64_t kNow = 1'000'000'000;

Job freshJob() {
    Job job;
    job.id = 7;
    job.number = "0312345678";
    job.state = JobState::Dispatched;
    job.pagesTotal = 3;
    job.createdMs = kNow;
    job.killAtMs = kNow + RetryPolicy().killTimeMs;
    return job;
}

TEST(RetryPolicy, AllPagesConfirmedIsDone) {
    Job job = applyCallOutcome(freshJob(), {"ok", "sent", 3}, RetryPolicy(), kNow);
    EXPECT_EQ(job.state, JobState::Done);
    EXPECT_EQ(job.pagesSent, 3);
    EXPECT_EQ(job.dials, 1);
    EXPECT_EQ(job.connectedTries, 1);
}

TEST(RetryPolicy, OkWithMissingPagesIsNeverDone) {
    Job job = applyCallOutcome(freshJob(), {"ok", "sent", 0}, RetryPolicy(), kNow);
    EXPECT_EQ(job.state, JobState::RetryWait);
    EXPECT_EQ(job.lastResult, "failed");
    EXPECT_NE(job.lastReason.find("0 of 3"), std::string::npos) << job.lastReason;
}

TEST(RetryPolicy, BusyRetriesAfterBusyDelayAndOtherFailuresAfterFailureDelay) {
    RetryPolicy policy;
    Job busy = applyCallOutcome(freshJob(), {"busy", "busy", 0}, policy, kNow);
    EXPECT_EQ(busy.state, JobState::RetryWait);
    EXPECT_EQ(busy.notBeforeMs, kNow + 180'000);
    EXPECT_EQ(busy.connectedTries, 0);
    Job failed = applyCallOutcome(freshJob(), {"failed", "line dropped", 1}, policy, kNow);
    EXPECT_EQ(failed.state, JobState::RetryWait);
    EXPECT_EQ(failed.notBeforeMs, kNow + 300'000);
    EXPECT_EQ(failed.connectedTries, 1);
    EXPECT_EQ(failed.pagesSent, 1);
}

TEST(RetryPolicy, GivesUpAfterMaxDials) {
    RetryPolicy policy;
    Job job = freshJob();
    for (int i = 0; i < policy.maxDials - 1; ++i) {
        job = applyCallOutcome(job, {"busy", "busy", 0}, policy, kNow + i);
        ASSERT_EQ(job.state, JobState::RetryWait) << "dial " << i + 1;
    }
    job = applyCallOutcome(job, {"busy", "busy", 0}, policy, kNow + 100);
    EXPECT_EQ(job.state, JobState::Failed);
    EXPECT_EQ(job.lastResult, "too_many_dials");
    EXPECT_EQ(job.dials, 12);
}

TEST(RetryPolicy, GivesUpAfterMaxConnectedTries) {
    Job job = freshJob();
    job = applyCallOutcome(job, {"failed", "x", 0}, RetryPolicy(), kNow);
    job = applyCallOutcome(job, {"failed", "x", 0}, RetryPolicy(), kNow);
    EXPECT_EQ(job.state, JobState::RetryWait);
    job = applyCallOutcome(job, {"failed", "x", 0}, RetryPolicy(), kNow);
    EXPECT_EQ(job.state, JobState::Failed);
    EXPECT_EQ(job.lastResult, "too_many_tries");
}

TEST(RetryPolicy, NoRetryPastTheKillTime) {
    Job job = freshJob();
    job.killAtMs = kNow + 60'000;  // less than the busy delay
    job = applyCallOutcome(job, {"busy", "busy", 0}, RetryPolicy(), kNow);
    EXPECT_EQ(job.state, JobState::Failed);
    EXPECT_EQ(job.lastResult, "timed_out");
}

TEST(RetryPolicy, AStricterNodeKillTimeApplies) {
    RetryPolicy policy;
    policy.killTimeMs = 10 * 60'000;  // this node gives up after 10 minutes
    Job job = applyCallOutcome(freshJob(), {"busy", "busy", 0}, policy, kNow + 9 * 60'000);
    EXPECT_EQ(job.state, JobState::Failed);
    EXPECT_EQ(job.lastResult, "timed_out");
}

TEST(RetryPolicy, RejectedAndCancelledAreFinalAtOnce) {
    EXPECT_EQ(
        applyCallOutcome(freshJob(), {"rejected", "bad number", 0}, RetryPolicy(), kNow).state,
        JobState::Failed);
    EXPECT_EQ(applyCallOutcome(freshJob(), {"cancelled", "by admin", 0}, RetryPolicy(), kNow).state,
              JobState::Cancelled);
}

}  // namespace
}  // namespace faxgate::gateway
