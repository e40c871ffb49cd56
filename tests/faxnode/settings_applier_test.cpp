// Central settings on the node (faxnode/settings_applier.h) with real sim lines: a change while
// a call runs, the version rules, settings.json written and read back, refusals that change
// nothing.
#include "faxnode/settings_applier.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <thread>

#include "faxnode/line_drivers.h"
#include "tests/faxnode/test_tiff.h"

namespace faxgate::node {
namespace {

using testing::TempDir;

// Waits for `condition`; the deadline only keeps a broken build from hanging the test run.
bool eventually(const std::function<bool()>& condition) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return condition();
}

class SettingsApplierTest : public ::testing::Test {
  protected:
    void SetUp() override {
        spool_ = std::make_unique<RecordSpool>(dir_.path());
        LineManagerOptions options;
        options.nodeId = "node-1";
        std::string spoolDir = dir_.path();
        manager_ = std::make_unique<LineManager>(
            options,
            [spoolDir](const settings::LineSettings& line, int channel,
                       const std::string& timeZone) -> std::unique_ptr<Line> {
                // "refuse" in the header stands for settings a driver does not accept.
                if (line.header == "refuse") throw std::invalid_argument("driver refused");
                return makeLineDriver(line, channel, timeZone, spoolDir);
            },
            *spool_, nullptr);
    }
    void TearDown() override { manager_->shutdown(0); }

    // Two sim lines that call each other through an exchange in the temp dir: sim-a
    // (0312345001) sends, sim-b (0312345002) receives.
    settings::NodeSettings twoLines() {
        settings::NodeSettings node;
        node.nodeId = "node-1";
        node.secret = "s3cret-node-1";
        for (const char* id : {"sim-a", "sim-b"}) {
            settings::LineSettings line;
            line.id = id;
            line.number = id == std::string("sim-a") ? "0312345001" : "0312345002";
            line.stationId = id == std::string("sim-a") ? "+81 3 1234 5001" : "+81 3 1234 5002";
            line.sim.dialMs = 0;
            line.sim.pageMs = 10;
            line.sim.exchangeDir = dir_.path() + "/exchange";
            node.lines.push_back(line);
        }
        return node;
    }

    void start(const settings::NodeSettings& initial) {
        ASSERT_EQ(manager_->applySettings(initial), "");
        manager_->startReceiving();
        applier_ = std::make_unique<SettingsApplier>(settingsFilePath(dir_.path()), *manager_,
                                                     PersistedSettings{0, initial});
    }

    JobRequest job(int64_t jobId, const std::string& number, int pages) {
        std::string path = dir_.path() + "/doc.tif";
        testing::writeFaxTiff(path, pages);
        JobRequest request;
        request.jobId = jobId;
        request.attempt = 1;
        request.number = number;
        request.pagesTotal = pages;
        request.tiffBytes = testing::readFile(path);
        return request;
    }

    // The remote CSID of each reception spooled so far, oldest first.
    std::vector<std::string> receivedCsids() {
        std::vector<std::pair<int64_t, std::string>> found;
        for (const SpooledInbound& reception : spool_->listInbound()) {
            std::string error;
            auto record = parseCommunicationRecord(reception.json, error);
            if (record) found.push_back({record->endedMs, record->remoteCsid});
        }
        std::sort(found.begin(), found.end());
        std::vector<std::string> csids;
        for (const auto& entry : found) csids.push_back(entry.second);
        return csids;
    }

    std::string settingsFile() { return testing::readFile(settingsFilePath(dir_.path())); }

    TempDir dir_;
    std::unique_ptr<RecordSpool> spool_;
    std::unique_ptr<LineManager> manager_;
    std::unique_ptr<SettingsApplier> applier_;
};

TEST_F(SettingsApplierTest, ACallInProgressKeepsItsStationIdAndTheNextCallHasTheNewOne) {
    settings::NodeSettings initial = twoLines();
    initial.lines[0].sim.pageMs = 1500;  // sim-a's call lasts while the settings change
    start(initial);

    ASSERT_EQ(manager_->tryStart(job(1, "0312345002", 1)).lineId, "sim-a");
    settings::NodeSettings changed = initial;
    changed.lines[0].stationId = "+81 3 9999 0001";
    SettingsResult result = applier_->apply(1, changed);
    ASSERT_EQ(result.outcome, SettingsOutcome::Applied) << result.error;
    EXPECT_EQ(applier_->appliedVersion(), 1);
    // Applied while the call was still running, with its old settings.
    EXPECT_EQ(manager_->status()[0].state, LineState::Sending);

    ASSERT_TRUE(eventually([&] { return receivedCsids().size() == 1; }));
    EXPECT_EQ(receivedCsids()[0], "+81 3 1234 5001");
    ASSERT_TRUE(eventually([&] { return manager_->status()[0].state == LineState::Idle; }));
    ASSERT_TRUE(eventually([&] { return manager_->status()[1].state == LineState::Idle; }));
    // sim-b frees the caller's claim on its number right after its record.
    ASSERT_TRUE(eventually(
        [&] { return !std::filesystem::exists(dir_.path() + "/exchange/busy/0312345002"); }));

    ASSERT_EQ(manager_->tryStart(job(2, "0312345002", 1)).lineId, "sim-a");
    ASSERT_TRUE(eventually([&] { return receivedCsids().size() == 2; }));
    EXPECT_EQ(receivedCsids()[1], "+81 3 9999 0001");
    // Both calls reached their receiver and left a record each.
    ASSERT_TRUE(eventually([&] { return spool_->list().size() == 2; }));
    for (const SpooledRecord& record : spool_->list()) {
        EXPECT_NE(record.json.find("\"result\":\"ok\""), std::string::npos) << record.json;
        EXPECT_NE(record.json.find("\"remote_csid\":\"+81 3 1234 5002\""), std::string::npos);
    }
}

TEST_F(SettingsApplierTest, AChangedReceiverAnnouncesItsNewStationIdToCallers) {
    start(twoLines());
    settings::NodeSettings changed = twoLines();
    changed.lines[1].stationId = "+81 3 9999 0002";
    ASSERT_EQ(applier_->apply(1, changed).outcome, SettingsOutcome::Applied);
    ASSERT_EQ(manager_->tryStart(job(1, "0312345002", 1)).lineId, "sim-a");
    ASSERT_TRUE(eventually([&] { return spool_->list().size() == 1; }));
    // The caller sees the receiver's CSID as registered in the exchange by its new driver.
    EXPECT_NE(spool_->list()[0].json.find("\"remote_csid\":\"+81 3 9999 0002\""), std::string::npos)
        << spool_->list()[0].json;
}

TEST_F(SettingsApplierTest, SettingsFileIsWrittenPrivatelyAndReadBack) {
    start(twoLines());
    EXPECT_FALSE(loadSettingsFile(settingsFilePath(dir_.path())));  // nothing pushed yet

    settings::NodeSettings pushed = twoLines();
    pushed.secret.reset();  // keeps the secret in use
    pushed.timeZone = "Asia/Tokyo";
    pushed.retry = settings::RetrySettings{180000, 300000, 12, 3, 10800000};
    ASSERT_EQ(applier_->apply(4, settings::toJson(pushed, false)).outcome,
              SettingsOutcome::Applied);

    struct stat info {};
    ASSERT_EQ(::stat(settingsFilePath(dir_.path()).c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    EXPECT_FALSE(std::filesystem::exists(settingsFilePath(dir_.path()) + ".tmp"));

    std::optional<PersistedSettings> saved = loadSettingsFile(settingsFilePath(dir_.path()));
    ASSERT_TRUE(saved);
    EXPECT_EQ(saved->version, 4);
    EXPECT_EQ(saved->settings.secret, "s3cret-node-1");
    EXPECT_EQ(saved->settings.timeZone, "Asia/Tokyo");
    EXPECT_EQ(saved->settings.retry->maxDials, 12);
    EXPECT_EQ(saved->settings.lines, pushed.lines);

    // What the gateway may see: the document without its secret.
    EXPECT_EQ(applier_->documentJson(false).find("s3cret-node-1"), std::string::npos);
    EXPECT_NE(applier_->documentJson(true).find("s3cret-node-1"), std::string::npos);
    EXPECT_EQ(applier_->secret(), "s3cret-node-1");
}

TEST_F(SettingsApplierTest, VersionRules) {
    start(twoLines());
    settings::NodeSettings document = twoLines();
    document.lines[0].header = "version two";
    EXPECT_EQ(applier_->apply(2, document).outcome, SettingsOutcome::Applied);
    std::string saved = settingsFile();

    SettingsResult older = applier_->apply(1, twoLines());
    EXPECT_EQ(older.outcome, SettingsOutcome::Outdated);
    EXPECT_EQ(older.appliedVersion, 2);
    EXPECT_EQ(older.error, "version 1 is older than the version in use, 2");

    // The same version and document again: nothing to do (the gateway repeats a push).
    EXPECT_EQ(applier_->apply(2, document).outcome, SettingsOutcome::AlreadyApplied);
    EXPECT_EQ(settingsFile(), saved);

    // Another node's document is refused.
    settings::NodeSettings other = document;
    other.nodeId = "node-2";
    SettingsResult refused = applier_->apply(3, other);
    EXPECT_EQ(refused.outcome, SettingsOutcome::Invalid);
    EXPECT_EQ(refused.error, "node_id: this node is \"node-1\", got \"node-2\"");
    EXPECT_EQ(applier_->appliedVersion(), 2);
}

TEST_F(SettingsApplierTest, RefusedDocumentsChangeNothing) {
    start(twoLines());
    std::vector<LineStatus> before = manager_->status();

    SettingsResult invalid =
        applier_->apply(1, R"({"node_id":"node-1","lines":[{"id":"x","max_bit_rate":9000}]})");
    EXPECT_EQ(invalid.outcome, SettingsOutcome::Invalid);
    EXPECT_EQ(invalid.error.rfind("lines[0].max_bit_rate: expected one of", 0), 0u);

    settings::NodeSettings refusedByDriver = twoLines();
    refusedByDriver.lines.push_back(refusedByDriver.lines[0]);
    refusedByDriver.lines[2].id = "sim-c";
    refusedByDriver.lines[2].header = "refuse";
    SettingsResult refused = applier_->apply(1, refusedByDriver);
    EXPECT_EQ(refused.outcome, SettingsOutcome::Invalid);
    EXPECT_EQ(refused.error, "lines[2]: line sim-c: driver refused");

    EXPECT_EQ(applier_->appliedVersion(), 0);
    EXPECT_FALSE(std::filesystem::exists(settingsFilePath(dir_.path())));
    EXPECT_FALSE(std::filesystem::exists(settingsFilePath(dir_.path()) + ".tmp"));
    ASSERT_EQ(manager_->status().size(), before.size());
    EXPECT_EQ(manager_->status()[0].lineId, "sim-a");
    EXPECT_EQ(manager_->status()[1].lineId, "sim-b");
}

TEST_F(SettingsApplierTest, UnwritableSettingsFileChangesNothing) {
    ASSERT_EQ(manager_->applySettings(twoLines()), "");
    SettingsApplier applier(dir_.path() + "/no-such-dir/settings.json", *manager_,
                            PersistedSettings{0, twoLines()});
    settings::NodeSettings changed = twoLines();
    changed.lines.pop_back();
    SettingsResult result = applier.apply(1, changed);
    EXPECT_EQ(result.outcome, SettingsOutcome::Failed);
    EXPECT_NE(result.error.find("no-such-dir"), std::string::npos) << result.error;
    EXPECT_EQ(applier.appliedVersion(), 0);
    EXPECT_EQ(manager_->status().size(), 2u);
}

TEST_F(SettingsApplierTest, ABadSettingsFileIsAnErrorNamingIt) {
    std::string path = settingsFilePath(dir_.path());
    for (const std::string& content :
         {std::string("{not json"), std::string(R"({"version":-1,"settings":{}})"),
          std::string(R"({"version":2})"),
          std::string(R"({"version":2,"settings":{"node_id":"node-1","lines":[]}})")}) {
        testing::writeFile(path, content);
        try {
            loadSettingsFile(path);
            ADD_FAILURE() << "accepted: " << content;
        } catch (const settings::SettingsError& e) {
            EXPECT_EQ(std::string(e.what()).rfind(path + ": ", 0), 0u) << e.what();
        }
    }
}

}  // namespace
}  // namespace faxgate::node
