// The simulated line receiving: calls injected through the inbox, and loop-back calls between
// two sim lines that share an exchange directory (in one process, as two nodes on one
// machine would).
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <vector>

#include "faxnode/lines/sim_line.h"
#include "tests/faxnode/test_tiff.h"

namespace faxgate::node {
namespace {

namespace fs = std::filesystem;
using testing::readFile;
using testing::TempDir;
using testing::writeFaxTiff;
using testing::writeFile;

// What a line manager would do, recorded: answers calls unless told the line is busy,
// names a file per line for the image and keeps every reception with its image bytes.
class RecordingSink : public InboundSink {
  public:
    explicit RecordingSink(std::string dir) : dir_(std::move(dir)) {}

    InboundAnswer incomingCall(const std::string& lineId,
                               const std::string& callerNumber) override {
        std::lock_guard<std::mutex> lock(mutex_);
        ++rings_;
        changed_.notify_all();
        if (busy_) return {};
        receivingLines_.push_back(lineId);
        lastCaller_ = callerNumber;
        return {true, dir_ + "/" + lineId + ".tif"};
    }

    void receptionEnded(const std::string& lineId, const ReceptionResult& result) override {
        std::lock_guard<std::mutex> lock(mutex_);
        std::string image;
        if (result.hasImage) image = readFile(dir_ + "/" + lineId + ".tif");
        fs::remove(dir_ + "/" + lineId + ".tif");
        receptions_.push_back({lineId, result, image});
        changed_.notify_all();
    }

    struct Reception {
        std::string lineId;
        ReceptionResult result;
        std::string image;
    };

    // Waits until `count` receptions ended; the deadline only keeps a broken build from
    // hanging the test run.
    std::vector<Reception> waitForReceptions(size_t count) {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait_for(lock, std::chrono::seconds(30),
                          [&] { return receptions_.size() >= count; });
        return receptions_;
    }
    void waitForRings(int count) {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait_for(lock, std::chrono::seconds(30), [&] { return rings_ >= count; });
    }
    void setBusy(bool busy) {
        std::lock_guard<std::mutex> lock(mutex_);
        busy_ = busy;
    }
    size_t receptionCount() {
        std::lock_guard<std::mutex> lock(mutex_);
        return receptions_.size();
    }

  private:
    std::string dir_;
    std::mutex mutex_;
    std::condition_variable changed_;
    bool busy_ = false;
    int rings_ = 0;
    std::vector<std::string> receivingLines_;
    std::string lastCaller_;
    std::vector<Reception> receptions_;
};

LineSettings lineSettings(const std::string& id, const std::string& number,
                          const std::string& stationId) {
    LineSettings line;
    line.id = id;
    line.number = number;
    line.stationId = stationId;
    line.maxBitRate = 9600;
    line.ecm = true;
    return line;
}

SimSettings simSettings(const std::string& inboxDir, const std::string& exchangeDir = "") {
    SimSettings sim;
    sim.dialMs = 5;
    sim.pageMs = 5;
    sim.busyPattern = "^0399.*";
    sim.inboxDir = inboxDir;
    sim.exchangeDir = exchangeDir;
    sim.inboxPollMs = 10;
    return sim;
}

// Drops a call into an inbox the way the documentation says: .json first, .tif renamed in.
void inject(const std::string& inbox, const std::string& name, const std::string& tiffBytes,
            const std::string& json) {
    fs::create_directories(inbox);
    if (!json.empty()) writeFile(inbox + "/" + name + ".json", json);
    writeFile(inbox + "/." + name + ".tif", tiffBytes);
    fs::rename(inbox + "/." + name + ".tif", inbox + "/" + name + ".tif");
}

class SimLineReceiveTest : public ::testing::Test {
  protected:
    TempDir dir_;
    RecordingSink sink_{dir_.path()};
};

TEST_F(SimLineReceiveTest, InjectedCallArrivesWithItsRecordAndUnchangedImage) {
    std::string inbox = dir_.path() + "/inbox";
    SimLine line(lineSettings("sim-1", "0312345001", "+81 3 1234 5001"), simSettings(inbox));
    line.startReceiving(sink_);
    ASSERT_TRUE(fs::is_directory(inbox));

    writeFaxTiff(dir_.path() + "/doc.tif", 3);
    std::string tiff = readFile(dir_.path() + "/doc.tif");
    inject(inbox, "call-1", tiff,
           R"({"caller_number": "0398765432", "remote_csid": "+81 3 9876 5432"})");

    auto receptions = sink_.waitForReceptions(1);
    ASSERT_EQ(receptions.size(), 1u);
    const ReceptionResult& result = receptions[0].result;
    EXPECT_EQ(receptions[0].lineId, "sim-1");
    EXPECT_EQ(result.result, "ok");
    EXPECT_EQ(result.reason, "all pages received");
    EXPECT_EQ(result.calledNumber, "0312345001");
    EXPECT_EQ(result.callerNumber, "0398765432");
    EXPECT_EQ(result.remoteCsid, "+81 3 9876 5432");
    EXPECT_EQ(result.pages, 3);
    EXPECT_EQ(result.pagesTotal, 3);
    EXPECT_EQ(result.bitRate, 9600);
    EXPECT_TRUE(result.ecm);
    EXPECT_TRUE(result.hasImage);
    EXPECT_GE(result.endedMs, result.startedMs);
    EXPECT_EQ(receptions[0].image, tiff);
    // The inbox is empty again: the call is not taken twice.
    line.stopReceiving();
    EXPECT_TRUE(fs::is_empty(inbox));
    EXPECT_EQ(sink_.receptionCount(), 1u);
}

TEST_F(SimLineReceiveTest, PartialAndFailedInjectedCalls) {
    std::string inbox = dir_.path() + "/inbox";
    SimLine line(lineSettings("sim-1", "0312345001", ""), simSettings(inbox));
    writeFaxTiff(dir_.path() + "/doc.tif", 3);
    std::string tiff = readFile(dir_.path() + "/doc.tif");
    inject(inbox, "a", tiff, R"({"result": "partial", "pages": 2})");
    inject(inbox, "b", tiff, R"({"result": "failed"})");
    inject(inbox, "c", "this is not a TIFF", "");
    line.startReceiving(sink_);

    auto receptions = sink_.waitForReceptions(3);
    ASSERT_EQ(receptions.size(), 3u);  // in name order
    EXPECT_EQ(receptions[0].result.result, "partial");
    EXPECT_EQ(receptions[0].result.pages, 2);
    EXPECT_EQ(receptions[0].result.pagesTotal, 3);
    EXPECT_EQ(receptions[0].result.reason, "the call ended early after 2 pages of 3");
    EXPECT_TRUE(receptions[0].result.hasImage);
    EXPECT_EQ(receptions[0].result.callerNumber, "");
    EXPECT_EQ(receptions[1].result.result, "failed");
    EXPECT_EQ(receptions[1].result.pages, 0);
    EXPECT_FALSE(receptions[1].result.hasImage);
    EXPECT_EQ(receptions[2].result.result, "failed");
    EXPECT_NE(receptions[2].result.reason.find("unusable"), std::string::npos)
        << receptions[2].result.reason;
    EXPECT_FALSE(receptions[2].result.hasImage);
}

TEST_F(SimLineReceiveTest, BadDescriptionIsSetAsideAndBusyLineLetsTheCallWait) {
    std::string inbox = dir_.path() + "/inbox";
    SimLine line(lineSettings("sim-1", "0312345001", ""), simSettings(inbox));
    writeFaxTiff(dir_.path() + "/doc.tif", 1);
    std::string tiff = readFile(dir_.path() + "/doc.tif");
    inject(inbox, "a-bad", tiff, R"({"caller_number": "not a number"})");
    sink_.setBusy(true);
    inject(inbox, "b-good", tiff, "");
    line.startReceiving(sink_);

    sink_.waitForRings(2);  // rang while busy: the call stays in the inbox
    EXPECT_TRUE(fs::exists(inbox + "/b-good.tif"));
    EXPECT_TRUE(fs::exists(inbox + "/a-bad.json.bad"));
    EXPECT_TRUE(fs::exists(inbox + "/a-bad.tif.bad"));
    EXPECT_EQ(sink_.receptionCount(), 0u);

    sink_.setBusy(false);
    auto receptions = sink_.waitForReceptions(1);
    ASSERT_EQ(receptions.size(), 1u);
    EXPECT_EQ(receptions[0].result.result, "ok");
    EXPECT_EQ(receptions[0].image, tiff);
}

class SimExchangeTest : public ::testing::Test {
  protected:
    void SetUp() override {
        exchange_ = dir_.path() + "/exchange";
        writeFaxTiff(dir_.path() + "/doc.tif", 2);
        tiff_ = readFile(dir_.path() + "/doc.tif");
    }

    CallResult dial(SimLine& line, const std::string& number) {
        OutboundCall call{42, 1, number, dir_.path() + "/doc.tif", 2, "fine", ""};
        std::atomic<bool> cancel{false};
        return line.send(call, cancel);
    }

    TempDir dir_;
    std::string exchange_;
    std::string tiff_;
    RecordingSink senderSink_{dir_.path()};
    RecordingSink receiverSink_{dir_.path()};
};

TEST_F(SimExchangeTest, DiallingAnotherSimLineDeliversTheFaxThere) {
    SimLine sender(lineSettings("sim-a", "0312345001", "+81 3 1234 5001"),
                   simSettings(dir_.path() + "/inbox-a", exchange_));
    SimLine receiver(lineSettings("sim-b", "0312345002", "+81 3 1234 5002"),
                     simSettings(dir_.path() + "/inbox-b", exchange_));
    sender.startReceiving(senderSink_);
    receiver.startReceiving(receiverSink_);
    ASSERT_TRUE(fs::exists(exchange_ + "/lines/0312345001"));
    ASSERT_TRUE(fs::exists(exchange_ + "/lines/0312345002"));

    CallResult sent = dial(sender, "0312345002");
    EXPECT_EQ(sent.result, "ok") << sent.reason;
    EXPECT_EQ(sent.pages, 2);
    EXPECT_EQ(sent.remoteCsid, "+81 3 1234 5002");

    auto receptions = receiverSink_.waitForReceptions(1);
    ASSERT_EQ(receptions.size(), 1u);
    const ReceptionResult& received = receptions[0].result;
    EXPECT_EQ(receptions[0].lineId, "sim-b");
    EXPECT_EQ(received.result, "ok");
    EXPECT_EQ(received.calledNumber, "0312345002");
    EXPECT_EQ(received.callerNumber, "0312345001");
    EXPECT_EQ(received.remoteCsid, "+81 3 1234 5001");
    EXPECT_EQ(received.pages, 2);
    EXPECT_EQ(receptions[0].image, tiff_);
    EXPECT_EQ(senderSink_.receptionCount(), 0u);

    // The receiver's number is free again after its record: a second call gets through.
    // (The claim is dropped right after receptionEnded returns, so wait for the file.)
    for (int i = 0; i < 3000 && fs::exists(exchange_ + "/busy/0312345002"); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(dial(sender, "0312345002").result, "ok");
    EXPECT_EQ(receiverSink_.waitForReceptions(2).size(), 2u);

    // Stopping unregisters the number: dialling it is an ordinary sim call again.
    receiver.stopReceiving();
    EXPECT_FALSE(fs::exists(exchange_ + "/lines/0312345002"));
    CallResult ordinary = dial(sender, "0312345002");
    EXPECT_EQ(ordinary.result, "ok");
    EXPECT_EQ(ordinary.remoteCsid, "+0312345002");
    EXPECT_EQ(receiverSink_.receptionCount(), 2u);
}

TEST_F(SimExchangeTest, BusyReceiverMeansBusyForTheSender) {
    SimSettings slowReceiver = simSettings(dir_.path() + "/inbox-b", exchange_);
    slowReceiver.pageMs = 60000;  // still receiving the first call when the second comes
    SimLine sender(lineSettings("sim-a", "0312345001", "+81 3 1234 5001"),
                   simSettings(dir_.path() + "/inbox-a", exchange_));
    SimLine receiver(lineSettings("sim-b", "0312345002", "+81 3 1234 5002"), slowReceiver);
    sender.startReceiving(senderSink_);
    receiver.startReceiving(receiverSink_);

    EXPECT_EQ(dial(sender, "0312345002").result, "ok");
    receiverSink_.waitForRings(1);
    CallResult second = dial(sender, "0312345002");
    EXPECT_EQ(second.result, "busy");
    EXPECT_EQ(second.reason, "the number was busy");
    EXPECT_EQ(second.pages, 0);

    // Stopping ends the reception in progress; its record still reaches the sink.
    receiver.stopReceiving();
    auto receptions = receiverSink_.waitForReceptions(1);
    ASSERT_EQ(receptions.size(), 1u);
    EXPECT_EQ(receptions[0].result.result, "failed");
    EXPECT_NE(receptions[0].result.reason.find("stopped"), std::string::npos);
}

TEST_F(SimExchangeTest, ARingingCallWinsOverADispatchOnTheSameLine) {
    SimLine receiver(lineSettings("sim-b", "0312345002", "+81 3 1234 5002"),
                     simSettings(dir_.path() + "/inbox-b", exchange_));
    receiver.startReceiving(receiverSink_);
    // A caller holds the receiver's number (its fax is on the way): the line cannot dial.
    writeFile(exchange_ + "/busy/0312345002", "sim-a 1\n");
    CallResult glare = dial(receiver, "0312345678");
    EXPECT_EQ(glare.result, "no_carrier");
    EXPECT_NE(glare.reason.find("inbound call"), std::string::npos) << glare.reason;
    EXPECT_TRUE(fs::exists(exchange_ + "/busy/0312345002"));  // not ours to remove
}

TEST_F(SimExchangeTest, SimulatedFailureReachesTheReceiverAsPartial) {
    SimSettings failing = simSettings(dir_.path() + "/inbox-a", exchange_);
    failing.failPattern = "^0312345002$";
    failing.failAfterPages = 1;
    SimLine sender(lineSettings("sim-a", "0312345001", "+81 3 1234 5001"), failing);
    SimLine receiver(lineSettings("sim-b", "0312345002", "+81 3 1234 5002"),
                     simSettings(dir_.path() + "/inbox-b", exchange_));
    sender.startReceiving(senderSink_);
    receiver.startReceiving(receiverSink_);

    CallResult sent = dial(sender, "0312345002");
    EXPECT_EQ(sent.result, "failed");
    EXPECT_EQ(sent.pages, 1);
    auto receptions = receiverSink_.waitForReceptions(1);
    ASSERT_EQ(receptions.size(), 1u);
    EXPECT_EQ(receptions[0].result.result, "partial");
    EXPECT_EQ(receptions[0].result.pages, 1);
}

TEST_F(SimExchangeTest, ExchangeNeedsTheLinesNumber) {
    SimLine line(lineSettings("sim-a", "", ""), simSettings(dir_.path() + "/inbox", exchange_));
    EXPECT_THROW(line.startReceiving(senderSink_), std::runtime_error);
}

}  // namespace
}  // namespace faxgate::node
