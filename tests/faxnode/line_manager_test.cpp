// The line manager: picking lines, busy/idle, duplicates, cancel, record before idle;
// channels (concurrency), the dial prefix, and applying new settings while calls run.
#include "faxnode/line_manager.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "tests/faxnode/test_tiff.h"

namespace faxgate::node {
namespace {

using testing::TempDir;

// A line whose calls last until the test releases them (or they are cancelled).
class FakeLine : public Line {
  public:
    explicit FakeLine(std::string id) : id_(std::move(id)) {}
    const std::string& id() const override { return id_; }
    void startReceiving(InboundSink& sink) override { sink_ = &sink; }
    void stopReceiving() override { stopped_ = true; }
    InboundSink* sink() const { return sink_; }

    CallResult send(const OutboundCall& call, const std::atomic<bool>& cancel) override {
        std::unique_lock<std::mutex> lock(mutex_);
        ++calls_;
        lastCall_ = call;
        tiffExistedDuringCall_ = std::filesystem::exists(call.tiffPath);
        started_.notify_all();
        while (!released_ && !cancel.load()) {
            released_cv_.wait_for(lock, std::chrono::milliseconds(5));
        }
        released_ = false;
        CallResult result;
        result.result = cancel.load() ? "cancelled" : "ok";
        result.reason = cancel.load() ? "cancelled" : "all pages confirmed by the receiver";
        result.pages = cancel.load() ? 0 : call.pagesTotal;
        result.pagesTotal = call.pagesTotal;
        result.startedMs = 1000;
        result.endedMs = 2000;
        return result;
    }

    void waitUntilCalled(int count) {
        std::unique_lock<std::mutex> lock(mutex_);
        started_.wait(lock, [&] { return calls_ >= count; });
    }
    void release() {
        std::lock_guard<std::mutex> lock(mutex_);
        released_ = true;
        released_cv_.notify_all();
    }
    int calls() {
        std::lock_guard<std::mutex> lock(mutex_);
        return calls_;
    }
    OutboundCall lastCall() {
        std::lock_guard<std::mutex> lock(mutex_);
        return lastCall_;
    }
    bool tiffExistedDuringCall() {
        std::lock_guard<std::mutex> lock(mutex_);
        return tiffExistedDuringCall_;
    }

  private:
    std::string id_;
    std::mutex mutex_;
    std::condition_variable started_;
    std::condition_variable released_cv_;
    int calls_ = 0;
    bool released_ = false;
    bool tiffExistedDuringCall_ = false;
    OutboundCall lastCall_;
    InboundSink* sink_ = nullptr;
    std::atomic<bool> stopped_{false};
};

settings::LineSettings lineSettings(const std::string& id, int concurrency = 1) {
    settings::LineSettings line;
    line.id = id;
    line.concurrency = concurrency;
    return line;
}

settings::NodeSettings nodeSettings(std::vector<settings::LineSettings> lines) {
    settings::NodeSettings node;
    node.nodeId = "node-1";
    node.lines = std::move(lines);
    return node;
}

JobRequest makeJob(int64_t jobId, int attempt) {
    JobRequest job;
    job.jobId = jobId;
    job.attempt = attempt;
    job.number = "0312345678";
    job.resolution = "fine";
    job.pagesTotal = 2;
    job.tiffBytes = std::string("II*\0", 4) + "pages";
    return job;
}

class LineManagerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        spool_ = std::make_unique<RecordSpool>(dir_.path());
        LineManagerOptions options;
        options.nodeId = "node-1";
        options.recentCallsKept = 3;
        manager_ = std::make_unique<LineManager>(
            options,
            [this](const settings::LineSettings& line, int channel, const std::string&) {
                // "refuse" in the header line stands for settings a driver does not accept.
                if (line.header == "refuse") throw std::invalid_argument("sim.busy: refused");
                auto driver = std::make_unique<FakeLine>(line.id);
                std::lock_guard<std::mutex> lock(builtMutex_);
                built_.push_back({line, channel, driver.get()});
                return driver;
            },
            *spool_,
            [this] {
                // What a heartbeat would see at this moment, and what the spool holds.
                std::lock_guard<std::mutex> lock(eventsMutex_);
                events_.push_back({manager_->status(), spool_->list().size()});
                eventsChanged_.notify_all();
            });
        ASSERT_EQ(
            manager_->applySettings(nodeSettings({lineSettings("sim-a"), lineSettings("sim-b")})),
            "");
        lineA_ = driver("sim-a");
        lineB_ = driver("sim-b");
        std::lock_guard<std::mutex> lock(eventsMutex_);
        events_.clear();
    }

    struct Event {
        std::vector<LineStatus> lines;
        size_t spooledRecords;
    };
    struct Built {
        settings::LineSettings line;
        int channel;
        FakeLine* driver;  // valid while the manager has it
    };

    // The driver built last for channel `channel` of `lineId`.
    FakeLine* driver(const std::string& lineId, int channel = 0) {
        std::lock_guard<std::mutex> lock(builtMutex_);
        for (auto it = built_.rbegin(); it != built_.rend(); ++it) {
            if (it->line.id == lineId && it->channel == channel) return it->driver;
        }
        return nullptr;
    }
    size_t builtCount() {
        std::lock_guard<std::mutex> lock(builtMutex_);
        return built_.size();
    }

    std::optional<LineStatus> lineStatus(const std::string& lineId) {
        for (const auto& line : manager_->status()) {
            if (line.lineId == lineId) return line;
        }
        return std::nullopt;
    }

    void waitForIdle(const std::string& lineId) {
        std::unique_lock<std::mutex> lock(eventsMutex_);
        eventsChanged_.wait(lock, [&] {
            for (const auto& line : manager_->status()) {
                if (line.lineId == lineId && line.state == LineState::Idle) return true;
            }
            return false;
        });
    }

    // Waits (bounded) until `condition` holds after some state change.
    bool waitFor(const std::function<bool()>& condition) {
        std::unique_lock<std::mutex> lock(eventsMutex_);
        return eventsChanged_.wait_for(lock, std::chrono::seconds(30), condition);
    }

    TempDir dir_;
    std::unique_ptr<RecordSpool> spool_;
    FakeLine* lineA_ = nullptr;
    FakeLine* lineB_ = nullptr;
    std::mutex builtMutex_;
    std::vector<Built> built_;
    std::mutex eventsMutex_;
    std::condition_variable eventsChanged_;
    std::vector<Event> events_;
    std::unique_ptr<LineManager> manager_;
};

TEST_F(LineManagerTest, BusyLinesAreNotPickedAndIdleOnesAre) {
    EXPECT_EQ(manager_->tryStart(makeJob(1, 1)).lineId, "sim-a");
    StartResult second = manager_->tryStart(makeJob(2, 1));
    EXPECT_EQ(second.outcome, StartOutcome::Started);
    EXPECT_EQ(second.lineId, "sim-b");
    StartResult third = manager_->tryStart(makeJob(3, 1));
    EXPECT_EQ(third.outcome, StartOutcome::NoIdleLine);
    EXPECT_EQ(third.reason, "no idle line");

    auto status = manager_->status();
    ASSERT_EQ(status.size(), 2u);
    EXPECT_EQ(status[0].state, LineState::Sending);
    EXPECT_EQ(status[0].jobId, 1);
    EXPECT_EQ(status[1].jobId, 2);

    lineA_->waitUntilCalled(1);
    lineA_->release();
    waitForIdle("sim-a");
    StartResult fourth = manager_->tryStart(makeJob(3, 1));
    EXPECT_EQ(fourth.outcome, StartOutcome::Started);
    EXPECT_EQ(fourth.lineId, "sim-a");
    lineA_->waitUntilCalled(2);
    lineA_->release();
    lineB_->waitUntilCalled(1);
    lineB_->release();
    waitForIdle("sim-a");
    waitForIdle("sim-b");
    EXPECT_EQ(spool_->list().size(), 3u);
}

TEST_F(LineManagerTest, SameJobAndAttemptIsADuplicateAndNeverDialledTwice) {
    ASSERT_EQ(manager_->tryStart(makeJob(42, 3)).outcome, StartOutcome::Started);
    StartResult repeat = manager_->tryStart(makeJob(42, 3));
    EXPECT_EQ(repeat.outcome, StartOutcome::Duplicate);
    EXPECT_EQ(repeat.lineId, "sim-a");
    // Another attempt of a job still running is refused too.
    EXPECT_EQ(manager_->tryStart(makeJob(42, 4)).outcome, StartOutcome::OtherAttempt);

    lineA_->waitUntilCalled(1);
    lineA_->release();
    waitForIdle("sim-a");
    // Still remembered after it finished.
    EXPECT_EQ(manager_->tryStart(makeJob(42, 3)).outcome, StartOutcome::Duplicate);
    EXPECT_EQ(lineA_->calls() + lineB_->calls(), 1);
}

TEST_F(LineManagerTest, OnlyTheLastFinishedCallsAreRemembered) {
    for (int job = 1; job <= 4; ++job) {  // recentCallsKept = 3
        ASSERT_EQ(manager_->tryStart(makeJob(job, 1)).lineId, "sim-a");
        lineA_->waitUntilCalled(job);
        lineA_->release();
        waitForIdle("sim-a");
    }
    EXPECT_EQ(manager_->tryStart(makeJob(4, 1)).outcome, StartOutcome::Duplicate);
    EXPECT_EQ(manager_->tryStart(makeJob(1, 1)).outcome, StartOutcome::Started);
    lineA_->waitUntilCalled(5);
    lineA_->release();
    waitForIdle("sim-a");
}

TEST_F(LineManagerTest, RecordIsSpooledBeforeTheLineIsIdle) {
    ASSERT_EQ(manager_->tryStart(makeJob(42, 3)).outcome, StartOutcome::Started);
    lineA_->waitUntilCalled(1);
    EXPECT_TRUE(lineA_->tiffExistedDuringCall());
    lineA_->release();
    waitForIdle("sim-a");

    std::lock_guard<std::mutex> lock(eventsMutex_);
    ASSERT_GE(events_.size(), 2u);
    // Every moment in which a heartbeat could report the line idle again, the record exists.
    bool sawBusy = false;
    for (const Event& event : events_) {
        if (event.lines[0].state == LineState::Sending) {
            sawBusy = true;
            EXPECT_EQ(event.spooledRecords, 0u);
        } else if (sawBusy) {
            EXPECT_EQ(event.spooledRecords, 1u);
        }
    }
    EXPECT_TRUE(sawBusy);

    auto records = spool_->list();
    ASSERT_EQ(records.size(), 1u);
    std::string error;
    auto record = parseCommunicationRecord(records[0].json, error);
    ASSERT_TRUE(record) << error;
    EXPECT_EQ(record->jobId, 42);
    EXPECT_EQ(record->attempt, 3);
    EXPECT_EQ(record->nodeId, "node-1");
    EXPECT_EQ(record->line, "sim-a");
    EXPECT_EQ(record->result, "ok");
    EXPECT_EQ(record->pages, 2);
    EXPECT_EQ(record->durationMs, 1000);
    EXPECT_EQ(record->recordId.rfind("node-1-2000-", 0), 0u) << record->recordId;
    // The pages are deleted once the call is over.
    EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/jobs/42-3.tif"));
}

TEST_F(LineManagerTest, CancelByJobId) {
    ASSERT_EQ(manager_->tryStart(makeJob(42, 3)).outcome, StartOutcome::Started);
    lineA_->waitUntilCalled(1);
    EXPECT_EQ(manager_->cancel(99), "");
    EXPECT_EQ(manager_->cancel(42), "sim-a");
    waitForIdle("sim-a");
    auto records = spool_->list();
    ASSERT_EQ(records.size(), 1u);
    EXPECT_NE(records[0].json.find("\"result\":\"cancelled\""), std::string::npos);
}

TEST_F(LineManagerTest, ShutdownCancelsCallsAndRefusesNewOnes) {
    ASSERT_EQ(manager_->tryStart(makeJob(42, 3)).outcome, StartOutcome::Started);
    lineA_->waitUntilCalled(1);
    manager_->shutdown(0);
    EXPECT_EQ(manager_->status()[0].state, LineState::Idle);
    EXPECT_EQ(spool_->list().size(), 1u);  // the record stays for the next start
    EXPECT_EQ(manager_->tryStart(makeJob(43, 1)).outcome, StartOutcome::ShuttingDown);
}

TEST_F(LineManagerTest, ReceivingLineIsShownAndGetsNoJobAndSpoolsBeforeIdle) {
    manager_->startReceiving();
    ASSERT_NE(lineA_->sink(), nullptr);
    InboundSink& sink = *lineA_->sink();

    InboundAnswer answer = sink.incomingCall("sim-a", "0398765432");
    ASSERT_TRUE(answer.accepted);
    EXPECT_FALSE(answer.tiffPath.empty());
    auto status = manager_->status();
    EXPECT_EQ(status[0].state, LineState::Receiving);
    EXPECT_STREQ(toString(status[0].state), "receiving");
    EXPECT_EQ(status[0].number, "0398765432");
    EXPECT_EQ(status[0].jobId, 0);

    // The receiving line is not given the job; the other one is, and then nothing is idle.
    EXPECT_EQ(manager_->tryStart(makeJob(1, 1)).lineId, "sim-b");
    EXPECT_EQ(manager_->tryStart(makeJob(2, 1)).outcome, StartOutcome::NoIdleLine);
    // A line that is sending (or receiving) cannot take a call either.
    EXPECT_FALSE(sink.incomingCall("sim-b", "0398765432").accepted);
    EXPECT_FALSE(sink.incomingCall("sim-a", "0398765432").accepted);

    testing::writeFile(answer.tiffPath, "II*\0 received pages");
    ReceptionResult result;
    result.result = "ok";
    result.reason = "all pages received";
    result.calledNumber = "0312345001";
    result.callerNumber = "0398765432";
    result.remoteCsid = "+81 3 9876 5432";
    result.pages = 3;
    result.pagesTotal = 3;
    result.bitRate = 14400;
    result.ecm = true;
    result.startedMs = 5000;
    result.endedMs = 8000;
    result.hasImage = true;
    sink.receptionEnded("sim-a", result);
    EXPECT_EQ(manager_->status()[0].state, LineState::Idle);

    // Every moment a heartbeat could see the line idle again, the reception was spooled.
    {
        std::lock_guard<std::mutex> lock(eventsMutex_);
        bool sawReceiving = false;
        for (const Event& event : events_) {
            if (event.lines[0].state == LineState::Receiving) sawReceiving = true;
        }
        EXPECT_TRUE(sawReceiving);
    }
    auto receptions = spool_->listInbound();
    ASSERT_EQ(receptions.size(), 1u);
    EXPECT_EQ(testing::readFile(receptions[0].tiffPath), std::string("II*\0 received pages"));
    EXPECT_FALSE(std::filesystem::exists(answer.tiffPath));
    std::string error;
    auto record = parseCommunicationRecord(receptions[0].json, error);
    ASSERT_TRUE(record) << error;
    EXPECT_EQ(record->direction, "receive");
    EXPECT_EQ(record->line, "sim-a");
    EXPECT_EQ(record->nodeId, "node-1");
    EXPECT_EQ(record->calledNumber, "0312345001");
    EXPECT_EQ(record->callerNumber, "0398765432");
    EXPECT_EQ(record->number, "0398765432");
    EXPECT_EQ(record->remoteCsid, "+81 3 9876 5432");
    EXPECT_EQ(record->pages, 3);
    EXPECT_EQ(record->durationMs, 3000);
    EXPECT_EQ(record->result, "ok");
    EXPECT_EQ(receptions[0].json.find("job_id"), std::string::npos) << receptions[0].json;
    EXPECT_EQ(record->recordId.rfind("node-1-8000-", 0), 0u) << record->recordId;

    lineB_->waitUntilCalled(1);
    lineB_->release();
    waitForIdle("sim-b");
}

TEST_F(LineManagerTest, FailedReceptionKeepsTheRecordButNoImage) {
    manager_->startReceiving();
    InboundSink& sink = *lineA_->sink();
    InboundAnswer answer = sink.incomingCall("sim-a", "");
    ASSERT_TRUE(answer.accepted);
    testing::writeFile(answer.tiffPath, "garbage");
    ReceptionResult result;
    result.result = "failed";
    result.reason = "the fax session failed before the first page was received";
    result.hasImage = true;  // a driver mistake: a failed reception never keeps its image
    sink.receptionEnded("sim-a", result);
    auto receptions = spool_->listInbound();
    ASSERT_EQ(receptions.size(), 1u);
    EXPECT_TRUE(receptions[0].tiffPath.empty());
    EXPECT_FALSE(std::filesystem::exists(answer.tiffPath));
    EXPECT_EQ(manager_->status()[0].state, LineState::Idle);
}

TEST_F(LineManagerTest, NoCallIsAnsweredAfterShutdown) {
    manager_->startReceiving();
    InboundSink& sink = *lineA_->sink();
    manager_->shutdown(0);
    EXPECT_FALSE(sink.incomingCall("sim-a", "0398765432").accepted);
}

TEST_F(LineManagerTest, ALineCarriesAsManyCallsAsItsConcurrency) {
    ASSERT_EQ(manager_->applySettings(nodeSettings({lineSettings("trunk", 2)})), "");
    FakeLine* channel0 = driver("trunk", 0);
    FakeLine* channel1 = driver("trunk", 1);
    ASSERT_NE(channel0, channel1);

    EXPECT_EQ(manager_->tryStart(makeJob(1, 1)).outcome, StartOutcome::Started);
    std::optional<LineStatus> trunk = lineStatus("trunk");
    ASSERT_TRUE(trunk);
    EXPECT_EQ(trunk->state, LineState::Idle);  // a channel is still free
    EXPECT_EQ(trunk->calls, 1);
    EXPECT_EQ(trunk->concurrency, 2);

    StartResult second = manager_->tryStart(makeJob(2, 1));
    EXPECT_EQ(second.outcome, StartOutcome::Started);
    EXPECT_EQ(second.lineId, "trunk");
    EXPECT_EQ(manager_->tryStart(makeJob(3, 1)).outcome, StartOutcome::NoIdleLine);
    trunk = lineStatus("trunk");
    EXPECT_EQ(trunk->state, LineState::Sending);
    EXPECT_EQ(trunk->calls, 2);
    ASSERT_EQ(trunk->channels.size(), 2u);

    // Both calls run at once, each on a driver of its own; the highest channel went first.
    channel1->waitUntilCalled(1);
    channel0->waitUntilCalled(1);
    EXPECT_EQ(channel1->lastCall().jobId, 1);
    EXPECT_EQ(channel0->lastCall().jobId, 2);
    channel1->release();
    waitForIdle("trunk");
    EXPECT_EQ(lineStatus("trunk")->calls, 1);
    EXPECT_EQ(manager_->tryStart(makeJob(3, 1)).outcome, StartOutcome::Started);
    channel1->waitUntilCalled(2);
    channel1->release();
    channel0->release();
    EXPECT_TRUE(waitFor([&] { return lineStatus("trunk")->calls == 0; }));
    EXPECT_EQ(spool_->list().size(), 3u);
}

TEST_F(LineManagerTest, OnlyChannelZeroReceivesAndAnInboundCallUsesItsCapacity) {
    ASSERT_EQ(manager_->applySettings(nodeSettings({lineSettings("trunk", 2)})), "");
    manager_->startReceiving();
    FakeLine* channel0 = driver("trunk", 0);
    FakeLine* channel1 = driver("trunk", 1);
    ASSERT_NE(channel0->sink(), nullptr);
    EXPECT_EQ(channel1->sink(), nullptr);

    ASSERT_EQ(manager_->tryStart(makeJob(1, 1)).outcome, StartOutcome::Started);  // channel 1
    InboundAnswer answer = channel0->sink()->incomingCall("trunk", "0398765432");
    ASSERT_TRUE(answer.accepted);
    EXPECT_EQ(lineStatus("trunk")->calls, 2);
    EXPECT_EQ(lineStatus("trunk")->state, LineState::Sending);
    EXPECT_EQ(manager_->tryStart(makeJob(2, 1)).outcome, StartOutcome::NoIdleLine);

    ReceptionResult result;
    result.result = "failed";
    result.reason = "test";
    channel0->sink()->receptionEnded("trunk", result);
    EXPECT_EQ(lineStatus("trunk")->calls, 1);
    channel1->waitUntilCalled(1);
    channel1->release();
    EXPECT_TRUE(waitFor([&] { return lineStatus("trunk")->calls == 0; }));
}

TEST_F(LineManagerTest, DialPrefixReachesTheDriverAndTheRecordKeepsTheNumber) {
    settings::LineSettings line = lineSettings("sim-a");
    line.dialPrefix = "0,";
    ASSERT_EQ(manager_->applySettings(nodeSettings({line})), "");
    ASSERT_EQ(manager_->tryStart(makeJob(7, 1)).lineId, "sim-a");
    FakeLine* a = driver("sim-a");
    a->waitUntilCalled(1);
    EXPECT_EQ(a->lastCall().dialNumber, "0,0312345678");
    EXPECT_EQ(a->lastCall().number, "0312345678");
    a->release();
    waitForIdle("sim-a");
    auto records = spool_->list();
    ASSERT_EQ(records.size(), 1u);
    EXPECT_NE(records[0].json.find("\"number\":\"0312345678\""), std::string::npos)
        << records[0].json;
}

TEST_F(LineManagerTest, SettingsAddRemoveAndChangeLines) {
    size_t before = builtCount();
    // The same settings again: nothing is rebuilt.
    ASSERT_EQ(manager_->applySettings(nodeSettings({lineSettings("sim-a"), lineSettings("sim-b")})),
              "");
    EXPECT_EQ(builtCount(), before);

    settings::LineSettings changedA = lineSettings("sim-a");
    changedA.stationId = "+81 3 1234 5678";
    ASSERT_EQ(manager_->applySettings(nodeSettings({changedA, lineSettings("sim-c")})), "");
    std::vector<std::string> ids;
    for (const auto& line : manager_->status()) ids.push_back(line.lineId);
    EXPECT_EQ(ids, (std::vector<std::string>{"sim-a", "sim-c"}));
    FakeLine* newA = driver("sim-a");
    EXPECT_NE(newA, lineA_);  // idle: replaced at once
    EXPECT_EQ(builtCount(), before + 2);

    // A removed line takes no job; the changed and the new one do.
    EXPECT_EQ(manager_->tryStart(makeJob(1, 1)).lineId, "sim-a");
    EXPECT_EQ(manager_->tryStart(makeJob(2, 1)).lineId, "sim-c");
    EXPECT_EQ(manager_->tryStart(makeJob(3, 1)).outcome, StartOutcome::NoIdleLine);
    newA->waitUntilCalled(1);
    newA->release();
    driver("sim-c")->waitUntilCalled(1);
    driver("sim-c")->release();
    waitForIdle("sim-a");
    waitForIdle("sim-c");

    // Only the concurrency changes: the existing channel keeps its driver.
    before = builtCount();
    ASSERT_EQ(manager_->applySettings(nodeSettings({lineSettings("sim-a", 2), changedA})),
              "lines[1].id: duplicate line ID \"sim-a\" (also lines[0])");
    changedA.concurrency = 2;
    ASSERT_EQ(manager_->applySettings(nodeSettings({changedA})), "");
    EXPECT_EQ(driver("sim-a", 0), newA);
    EXPECT_EQ(lineStatus("sim-a")->concurrency, 2);
    EXPECT_EQ(lineStatus("sim-a")->channels.size(), 2u);
}

TEST_F(LineManagerTest, ABusyLineKeepsItsSettingsUntilTheCallEnds) {
    ASSERT_EQ(manager_->tryStart(makeJob(1, 1)).lineId, "sim-a");
    lineA_->waitUntilCalled(1);

    settings::LineSettings changedA = lineSettings("sim-a");
    changedA.dialPrefix = "9";
    changedA.stationId = "+1 555 0100";
    ASSERT_EQ(manager_->applySettings(nodeSettings({changedA, lineSettings("sim-b")})), "");
    FakeLine* newA = driver("sim-a");
    ASSERT_NE(newA, lineA_);
    // The call goes on, on the old driver; the line is still busy and shown so.
    EXPECT_EQ(lineStatus("sim-a")->state, LineState::Sending);
    EXPECT_EQ(lineA_->lastCall().dialNumber, "0312345678");
    EXPECT_EQ(manager_->tryStart(makeJob(2, 1)).lineId, "sim-b");

    lineA_->release();  // the old driver is retired after this: not touched again
    waitForIdle("sim-a");
    EXPECT_EQ(manager_->tryStart(makeJob(3, 1)).lineId, "sim-a");
    newA->waitUntilCalled(1);
    EXPECT_EQ(newA->lastCall().jobId, 3);
    EXPECT_EQ(newA->lastCall().dialNumber, "90312345678");
    newA->release();
    lineB_->waitUntilCalled(1);
    lineB_->release();
    waitForIdle("sim-a");
    waitForIdle("sim-b");
    EXPECT_EQ(spool_->list().size(), 3u);  // every call has its record
}

TEST_F(LineManagerTest, ARemovedLineFinishesItsCallThenGoes) {
    ASSERT_EQ(manager_->tryStart(makeJob(1, 1)).lineId, "sim-a");
    lineA_->waitUntilCalled(1);
    ASSERT_EQ(manager_->applySettings(nodeSettings({lineSettings("sim-b")})), "");
    ASSERT_TRUE(lineStatus("sim-a"));  // still in its call
    EXPECT_EQ(lineStatus("sim-a")->state, LineState::Sending);
    EXPECT_EQ(manager_->cancel(1), "sim-a");  // still reachable for a cancel
    EXPECT_TRUE(waitFor([&] { return !lineStatus("sim-a"); }));
    ASSERT_EQ(spool_->list().size(), 1u);
    EXPECT_NE(spool_->list()[0].json.find("\"result\":\"cancelled\""), std::string::npos);
    EXPECT_EQ(manager_->tryStart(makeJob(2, 1)).lineId, "sim-b");
    lineB_->waitUntilCalled(1);
    lineB_->release();
    waitForIdle("sim-b");
}

TEST_F(LineManagerTest, ARefusedDocumentChangesNothing) {
    size_t before = builtCount();
    settings::LineSettings refused = lineSettings("sim-a");
    refused.header = "refuse";
    std::string error = manager_->applySettings(nodeSettings({lineSettings("sim-c", 3), refused}));
    EXPECT_EQ(error, "lines[1]: line sim-a: sim.busy: refused");
    // sim-c's drivers were built (and thrown away) before sim-a's refused.
    EXPECT_EQ(builtCount(), before + 3);
    std::vector<std::string> ids;
    for (const auto& line : manager_->status()) ids.push_back(line.lineId);
    EXPECT_EQ(ids, (std::vector<std::string>{"sim-a", "sim-b"}));
    EXPECT_EQ(driver("sim-a"), lineA_);

    settings::LineSettings bad = lineSettings("sim-a");
    bad.concurrency = 0;
    EXPECT_EQ(manager_->applySettings(nodeSettings({bad})).rfind("lines[0].concurrency:", 0), 0u);
    EXPECT_EQ(manager_->status().size(), 2u);
    // And the lines still work.
    ASSERT_EQ(manager_->tryStart(makeJob(1, 1)).lineId, "sim-a");
    lineA_->waitUntilCalled(1);
    lineA_->release();
    waitForIdle("sim-a");
}

TEST_F(LineManagerTest, AReplacedReceiverIsFollowedByItsSuccessor) {
    manager_->startReceiving();
    ASSERT_NE(lineA_->sink(), nullptr);
    settings::LineSettings changedA = lineSettings("sim-a");
    changedA.number = "0312345001";
    ASSERT_EQ(manager_->applySettings(nodeSettings({changedA, lineSettings("sim-b")})), "");
    FakeLine* newA = driver("sim-a");
    ASSERT_NE(newA, lineA_);
    ASSERT_NE(newA->sink(), nullptr);  // started before applySettings returned
    InboundAnswer answer = newA->sink()->incomingCall("sim-a", "0398765432");
    EXPECT_TRUE(answer.accepted);
    EXPECT_EQ(lineStatus("sim-a")->state, LineState::Receiving);
    ReceptionResult result;
    result.result = "failed";
    newA->sink()->receptionEnded("sim-a", result);
    EXPECT_EQ(lineStatus("sim-a")->state, LineState::Idle);
}

}  // namespace
}  // namespace faxgate::node
