// Scheduler behaviour through its public interface, on a real SQLite store in a temp file,
// with a fake NodeLink that plays the nodes and a clock the test moves.
#include "gateway/scheduler/scheduler.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace faxgate::gateway {
namespace {

class FakeNodes : public NodeLink {
  public:
    std::map<std::string, NodeStatus> statuses;
    std::map<std::string, DispatchResult> answers;  // default Accepted
    struct Dispatch {
        std::string node;
        int64_t jobId;
        int attempt;
        size_t tiffBytes;
    };
    std::vector<Dispatch> dispatches;
    std::vector<int64_t> cancels;

    std::map<std::string, NodeStatus> nodeStatuses() override { return statuses; }
    DispatchOutcome dispatch(const Node& node, const Job& job, int attempt,
                             const std::string& tiff) override {
        DispatchResult result =
            answers.count(node.id) ? answers[node.id] : DispatchResult::Accepted;
        if (result == DispatchResult::Accepted) {
            dispatches.push_back({node.id, job.id, attempt, tiff.size()});
        }
        return {result, result == DispatchResult::Accepted ? "sim-1" : "", "fake"};
    }
    bool cancel(const Node&, int64_t jobId) override {
        cancels.push_back(jobId);
        return true;
    }
};

class SchedulerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        path_ = std::filesystem::temp_directory_path() /
                ("scheduler-test-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
        std::filesystem::remove(path_);
        store_ = openSqliteStore(path_.string());
        for (int i = 1; i <= 2; ++i) {
            Node node;
            node.id = "node-" + std::to_string(i);
            node.url = "http://127.0.0.1:1";
            node.secret = "s";
            node.priority = i;
            store_->upsertNode(node);
            nodes_.statuses[node.id] = {true, 1, 1};
        }
        User user;
        user.id = "demo";
        user.passwordHash = "x";
        store_->addUser(user);
        scheduler_ = makeScheduler();
    }
    void TearDown() override {
        scheduler_.reset();
        store_.reset();
        std::filesystem::remove(path_);
        std::filesystem::remove(path_.string() + "-wal");
        std::filesystem::remove(path_.string() + "-shm");
    }

    std::unique_ptr<Scheduler> makeScheduler(SchedulerOptions options = {}) {
        return std::make_unique<Scheduler>(
            *store_, nodes_, options, [this](int64_t id) { finished_.push_back(id); },
            [this] { return now_; });
    }

    // Commits a submission, stores a document, queues it in the scheduler.
    int64_t submit(std::vector<std::string> numbers, const std::string& owner = "demo") {
        NewSubmission s;
        s.owner = owner;
        s.envelopeFrom = owner + "@example.com";
        s.rawMessage = "Subject: t\r\n\r\nbody\r\n";
        s.numbers = std::move(numbers);
        s.killTimeMs = 3 * 3600 * 1000;
        s.createdMs = now_;
        int64_t id = store_->commitSubmissions({s}).at(0);
        store_->storeDocument(id, std::string(100, 'T'), 2, now_);
        scheduler_->submissionReady(id);
        return id;
    }

    Job jobOf(int64_t submissionId, size_t index = 0) {
        return store_->jobsOfSubmission(submissionId).at(index);
    }

    CommunicationRecord record(const FakeNodes::Dispatch& d, const std::string& result, int pages) {
        CommunicationRecord r;
        r.recordId = d.node + "-" + std::to_string(d.jobId) + "-" + std::to_string(d.attempt);
        r.jobId = d.jobId;
        r.attempt = d.attempt;
        r.nodeId = d.node;
        r.line = "sim-1";
        r.result = result;
        r.reason = result;
        r.pages = pages;
        r.pagesTotal = 2;
        r.endedMs = now_;
        return r;
    }

    std::filesystem::path path_;
    std::unique_ptr<Store> store_;
    FakeNodes nodes_;
    std::unique_ptr<Scheduler> scheduler_;
    std::vector<int64_t> finished_;
    int64_t now_ = 1'700'000'000'000;
};

TEST_F(SchedulerTest, FirstFreeNodeInPriorityOrderGetsTheJob) {
    int64_t id = submit({"0312345678"});
    scheduler_->runPass();
    ASSERT_EQ(nodes_.dispatches.size(), 1u);
    EXPECT_EQ(nodes_.dispatches[0].node, "node-1");
    EXPECT_EQ(nodes_.dispatches[0].attempt, 1);
    EXPECT_EQ(nodes_.dispatches[0].tiffBytes, 100u);
    Job job = jobOf(id);
    EXPECT_EQ(job.state, JobState::Dispatched);
    EXPECT_EQ(job.node, "node-1");
    EXPECT_EQ(store_->attemptsOf(job.id).size(), 1u);
}

TEST_F(SchedulerTest, BusyAndUnreachableNodesAreSkipped) {
    nodes_.statuses["node-1"] = {true, 0, 1};  // busy by its heartbeat
    submit({"0312345678"});
    scheduler_->runPass();
    ASSERT_EQ(nodes_.dispatches.size(), 1u);
    EXPECT_EQ(nodes_.dispatches[0].node, "node-2");

    nodes_.statuses["node-1"] = {true, 1, 1};
    nodes_.statuses["node-2"] = {true, 1, 1};
    nodes_.answers["node-1"] = DispatchResult::Unreachable;
    submit({"0399999999"});
    scheduler_->runPass();
    ASSERT_EQ(nodes_.dispatches.size(), 2u);
    EXPECT_EQ(nodes_.dispatches[1].node, "node-2");
}

TEST_F(SchedulerTest, WithNoFreeLineTheJobWaitsForOne) {
    nodes_.statuses["node-1"] = {true, 0, 1};
    nodes_.statuses["node-2"] = {false, 1, 1};
    int64_t id = submit({"0312345678"});
    EXPECT_EQ(scheduler_->runPass(), jobOf(id).killAtMs);  // the only timed event left
    EXPECT_TRUE(nodes_.dispatches.empty());
    EXPECT_EQ(jobOf(id).state, JobState::Queued);
    nodes_.statuses["node-1"] = {true, 1, 1};  // a heartbeat says the line is free
    scheduler_->runPass();
    ASSERT_EQ(nodes_.dispatches.size(), 1u);
}

TEST_F(SchedulerTest, AUsersOwnNodeIsUsedEvenWhenAnotherIsFirst) {
    User user;
    user.id = "osaka";
    user.passwordHash = "x";
    user.defaultNode = "node-2";
    store_->addUser(user);
    submit({"0612345678"}, "osaka");
    scheduler_->runPass();
    ASSERT_EQ(nodes_.dispatches.size(), 1u);
    EXPECT_EQ(nodes_.dispatches[0].node, "node-2");
}

TEST_F(SchedulerTest, ConfirmedRecordFinishesTheJobAndTheSubmission) {
    int64_t id = submit({"0312345678"});
    scheduler_->runPass();
    auto d = nodes_.dispatches.at(0);
    EXPECT_EQ(scheduler_->recordReceived(record(d, "ok", 2)), RecordDisposition::Applied);
    Job job = jobOf(id);
    EXPECT_EQ(job.state, JobState::Done);
    EXPECT_EQ(job.pagesSent, 2);
    EXPECT_EQ(finished_, std::vector<int64_t>{id});
    EXPECT_EQ(store_->attemptsOf(job.id).at(0).recordId, record(d, "ok", 2).recordId);
    // The node re-posts the same record (it missed our answer): nothing changes.
    EXPECT_EQ(scheduler_->recordReceived(record(d, "ok", 2)), RecordDisposition::Duplicate);
    EXPECT_EQ(finished_.size(), 1u);
}

TEST_F(SchedulerTest, BusyCallIsRetriedOnlyAfterTheRetryDelay) {
    std::vector<Job> requeued;
    scheduler_->setOnJobRequeued([&](const Job& job) { requeued.push_back(job); });
    int64_t id = submit({"0312345678"});
    scheduler_->runPass();
    scheduler_->recordReceived(record(nodes_.dispatches.at(0), "busy", 0));
    EXPECT_EQ(jobOf(id).state, JobState::RetryWait);
    ASSERT_EQ(requeued.size(), 1u);
    EXPECT_EQ(requeued[0].lastResult, "busy");
    EXPECT_EQ(scheduler_->runPass(), now_ + 180'000);
    EXPECT_EQ(nodes_.dispatches.size(), 1u);
    now_ += 180'000;
    scheduler_->runPass();
    ASSERT_EQ(nodes_.dispatches.size(), 2u);
    EXPECT_EQ(nodes_.dispatches[1].attempt, 2);
    EXPECT_TRUE(finished_.empty());
}

TEST_F(SchedulerTest, OneCallAtATimeToTheSameNumber) {
    nodes_.statuses["node-1"] = {true, 2, 2};
    int64_t id = submit({"0312345678", "0312345678"});
    scheduler_->runPass();
    ASSERT_EQ(nodes_.dispatches.size(), 1u);
    scheduler_->recordReceived(record(nodes_.dispatches.at(0), "ok", 2));
    scheduler_->runPass();
    ASSERT_EQ(nodes_.dispatches.size(), 2u);
    EXPECT_NE(nodes_.dispatches[0].jobId, nodes_.dispatches[1].jobId);
    scheduler_->recordReceived(record(nodes_.dispatches.at(1), "ok", 2));
    EXPECT_EQ(finished_, std::vector<int64_t>{id});
}

TEST_F(SchedulerTest, BroadcastIsFinishedOnlyWhenEveryJobIs) {
    nodes_.statuses["node-1"] = {true, 3, 3};
    int64_t id = submit({"0311111111", "0322222222", "0333333333"});
    scheduler_->runPass();
    ASSERT_EQ(nodes_.dispatches.size(), 3u);
    scheduler_->recordReceived(record(nodes_.dispatches[0], "ok", 2));
    scheduler_->recordReceived(record(nodes_.dispatches[1], "rejected", 0));
    EXPECT_TRUE(finished_.empty());
    scheduler_->recordReceived(record(nodes_.dispatches[2], "ok", 2));
    EXPECT_EQ(finished_, std::vector<int64_t>{id});
}

TEST_F(SchedulerTest, JobsSurviveARestartAndTheirRecordsStillApply) {
    int64_t id = submit({"0312345678"});
    scheduler_->runPass();
    auto d = nodes_.dispatches.at(0);
    scheduler_ = makeScheduler();  // the gateway restarted while the node was dialling
    EXPECT_EQ(scheduler_->recordReceived(record(d, "ok", 2)), RecordDisposition::Applied);
    EXPECT_EQ(jobOf(id).state, JobState::Done);
}

TEST_F(SchedulerTest, JobNobodyCouldSendTimesOutAtItsKillTime) {
    nodes_.statuses.clear();
    int64_t id = submit({"0312345678"});
    scheduler_->runPass();
    now_ = jobOf(id).killAtMs;
    scheduler_->runPass();
    EXPECT_EQ(jobOf(id).state, JobState::Failed);
    EXPECT_EQ(jobOf(id).lastResult, "timed_out");
    EXPECT_EQ(finished_, std::vector<int64_t>{id});
}

TEST_F(SchedulerTest, CancelBeforeDispatchAndDuringTheCall) {
    nodes_.statuses["node-2"] = {false, 0, 1};
    nodes_.statuses["node-1"] = {true, 1, 1};
    int64_t first = submit({"0311111111"});
    scheduler_->runPass();
    int64_t second = submit({"0322222222"});  // waits: the only line is busy
    EXPECT_TRUE(scheduler_->cancelJob(jobOf(second).id));
    EXPECT_EQ(jobOf(second).state, JobState::Cancelled);
    EXPECT_TRUE(scheduler_->cancelJob(jobOf(first).id));
    EXPECT_EQ(nodes_.cancels, std::vector<int64_t>{jobOf(first).id});
    scheduler_->recordReceived(record(nodes_.dispatches.at(0), "cancelled", 1));
    EXPECT_EQ(jobOf(first).state, JobState::Cancelled);
    EXPECT_FALSE(scheduler_->cancelJob(jobOf(first).id));
}

TEST_F(SchedulerTest, NodeThatNeverReportsTimesTheAttemptOut) {
    SchedulerOptions options;
    options.attemptTimeoutMs = 60'000;
    scheduler_ = makeScheduler(options);
    int64_t id = submit({"0312345678"});
    scheduler_->runPass();
    now_ += 60'000;
    scheduler_->runPass();
    Job job = jobOf(id);
    EXPECT_EQ(job.state, JobState::RetryWait);
    EXPECT_EQ(job.dials, 1);
    auto attempts = store_->attemptsOf(job.id);
    ASSERT_EQ(attempts.size(), 1u);
    EXPECT_EQ(attempts[0].result, "failed");
    // Its record arriving late is kept but changes nothing.
    EXPECT_EQ(scheduler_->recordReceived(record(nodes_.dispatches.at(0), "ok", 2)),
              RecordDisposition::Unmatched);
    EXPECT_EQ(jobOf(id).state, JobState::RetryWait);
}

TEST_F(SchedulerTest, RetryQueuesACancelledJobAgainWithFreshCounters) {
    nodes_.statuses["node-2"] = {false, 0, 1};
    int64_t id = submit({"0311111111"});
    scheduler_->runPass();
    Job dispatched = jobOf(id);
    EXPECT_FALSE(scheduler_->retryJob(dispatched.id)) << "an active job cannot be retried";
    EXPECT_TRUE(scheduler_->cancelJob(dispatched.id));
    scheduler_->recordReceived(record(nodes_.dispatches.at(0), "cancelled", 1));
    ASSERT_EQ(jobOf(id).state, JobState::Cancelled);
    EXPECT_EQ(jobOf(id).dials, 1);

    now_ += 60'000;
    ASSERT_TRUE(scheduler_->retryJob(dispatched.id));
    Job queued = jobOf(id);
    EXPECT_EQ(queued.state, JobState::Queued);
    EXPECT_EQ(queued.dials, 0);
    EXPECT_EQ(queued.pagesSent, 0);
    EXPECT_EQ(queued.killAtMs, now_ + 3 * 3600 * 1000);
    scheduler_->runPass();
    ASSERT_EQ(nodes_.dispatches.size(), 2u);
    EXPECT_EQ(nodes_.dispatches[1].attempt, 2) << "attempt numbers go on";
    scheduler_->recordReceived(record(nodes_.dispatches[1], "ok", 2));
    EXPECT_EQ(jobOf(id).state, JobState::Done);
    EXPECT_FALSE(scheduler_->retryJob(dispatched.id)) << "a done job is not retried";
    EXPECT_FALSE(scheduler_->retryJob(9999));
}

TEST_F(SchedulerTest, RetryRefusesAJobWhoseConversionFailed) {
    NewSubmission s;
    s.owner = "demo";
    s.rawMessage = "x";
    s.numbers = {"0312345678"};
    s.killTimeMs = 1000;
    s.createdMs = now_;
    int64_t id = store_->commitSubmissions({s}).at(0);
    store_->failSubmission(id, "unreadable attachment", now_);
    ASSERT_EQ(jobOf(id).state, JobState::Failed);
    EXPECT_FALSE(scheduler_->retryJob(jobOf(id).id));
    EXPECT_EQ(jobOf(id).state, JobState::Failed);
}

}  // namespace
}  // namespace faxgate::gateway
