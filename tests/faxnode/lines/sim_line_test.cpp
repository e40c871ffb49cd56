// The simulated line: each outcome, cancel, unreadable documents.
#include "faxnode/lines/sim_line.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "tests/faxnode/test_tiff.h"

namespace faxgate::node {
namespace {

using testing::TempDir;
using testing::writeFaxTiff;

class SimLineTest : public ::testing::Test {
  protected:
    void SetUp() override {
        tiffPath_ = dir_.path() + "/doc.tif";
        writeFaxTiff(tiffPath_, 3);
        line_.id = "sim-1";
        line_.maxBitRate = 9600;
        line_.ecm = false;
        sim_.dialMs = 10;
        sim_.pageMs = 10;
        sim_.busyPattern = "^0399.*";
        sim_.noAnswerPattern = "^0398.*";
        sim_.noCarrierPattern = "^0396.*";
        sim_.failPattern = "^0397.*";
        sim_.failAfterPages = 1;
    }

    CallResult send(const std::string& number, const std::string& tiffPath = "",
                    const std::string& dialNumber = "") {
        SimLine line(line_, sim_);
        OutboundCall call{7, 1,      number,    tiffPath.empty() ? tiffPath_ : tiffPath,
                          3, "fine", dialNumber};
        std::atomic<bool> cancel{false};
        return line.send(call, cancel);
    }

    TempDir dir_;
    std::string tiffPath_;
    LineSettings line_;
    SimSettings sim_;
};

TEST_F(SimLineTest, SendsAllPagesOfAnOrdinaryNumber) {
    CallResult result = send("0312345678");
    EXPECT_EQ(result.result, "ok");
    EXPECT_EQ(result.reason, "all pages confirmed by the receiver");
    EXPECT_EQ(result.pages, 3);
    EXPECT_EQ(result.pagesTotal, 3);
    EXPECT_EQ(result.remoteCsid, "+0312345678");
    EXPECT_EQ(result.bitRate, 9600);
    EXPECT_FALSE(result.ecm);
    EXPECT_GE(result.endedMs, result.startedMs);
}

TEST_F(SimLineTest, ConfiguredRemoteCsidIsReported) {
    sim_.remoteCsid = "+81 3 9999 0000";
    EXPECT_EQ(send("0312345678").remoteCsid, "+81 3 9999 0000");
}

TEST_F(SimLineTest, BusyNumber) {
    CallResult result = send("0399111");
    EXPECT_EQ(result.result, "busy");
    EXPECT_EQ(result.reason, "the number was busy");
    EXPECT_EQ(result.pages, 0);
    EXPECT_EQ(result.bitRate, 0);
    EXPECT_EQ(result.remoteCsid, "");
}

TEST_F(SimLineTest, NoAnswerSaysHowLongItRang) {
    sim_.dialMs = 20;
    CallResult result = send("0398111");
    EXPECT_EQ(result.result, "no_answer");
    EXPECT_EQ(result.reason, "no answer after 0.02 s");
}

TEST_F(SimLineTest, NoCarrier) {
    CallResult result = send("0396111");
    EXPECT_EQ(result.result, "no_carrier");
    EXPECT_EQ(result.pages, 0);
}

TEST_F(SimLineTest, FailsMidPageAfterConfiguredPages) {
    CallResult result = send("0397111");
    EXPECT_EQ(result.result, "failed");
    EXPECT_EQ(result.pages, 1);
    EXPECT_EQ(result.pagesTotal, 3);
    EXPECT_EQ(result.reason, "the call dropped while sending page 2 after 1 page confirmed");
    EXPECT_EQ(result.bitRate, 9600);  // connected
}

TEST_F(SimLineTest, FailurePointPastTheLastPageIsNeverReached) {
    sim_.failAfterPages = 3;
    EXPECT_EQ(send("0397111").result, "ok");
}

TEST_F(SimLineTest, BusyIsCheckedBeforeTheOtherPatterns) {
    sim_.noAnswerPattern = ".*";
    EXPECT_EQ(send("0399111").result, "busy");
    EXPECT_EQ(send("0312345678").result, "no_answer");
}

TEST_F(SimLineTest, PatternsMatchTheWholeNumber) {
    sim_.busyPattern = "99";
    EXPECT_EQ(send("0399111").result, "ok");
    EXPECT_EQ(send("99").result, "busy");
}

TEST_F(SimLineTest, PatternsSeeTheDialPrefixTheFarEndDoesNot) {
    // The line dials "9" + number: the patterns see what is dialled, the far end's CSID the
    // number behind the prefix.
    EXPECT_EQ(send("0399111", "", "90399111").result, "ok");
    sim_.busyPattern = "^90399.*";
    EXPECT_EQ(send("0399111", "", "90399111").result, "busy");
    CallResult sent = send("0312345678", "", "90312345678");
    EXPECT_EQ(sent.result, "ok");
    EXPECT_EQ(sent.remoteCsid, "+0312345678");
}

TEST_F(SimLineTest, CancelStopsTheCallQuickly) {
    sim_.pageMs = 60000;  // a call that would take three minutes
    SimLine line(line_, sim_);
    OutboundCall call{7, 1, "0312345678", tiffPath_, 3, "fine", ""};
    std::atomic<bool> cancel{false};
    auto future = std::async(std::launch::async, [&] { return line.send(call, cancel); });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    cancel = true;
    // Generous bound: this guards against a call that ignores cancel, not a timing target.
    ASSERT_EQ(future.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    CallResult result = future.get();
    EXPECT_EQ(result.result, "cancelled");
    EXPECT_EQ(result.pages, 0);
}

TEST_F(SimLineTest, CancelBeforeDialling) {
    SimLine line(line_, sim_);
    OutboundCall call{7, 1, "0312345678", tiffPath_, 3, "fine", ""};
    std::atomic<bool> cancel{true};
    CallResult result = line.send(call, cancel);
    EXPECT_EQ(result.result, "cancelled");
    EXPECT_EQ(result.reason, "cancelled while dialling");
}

TEST_F(SimLineTest, FileThatIsNotATiffFails) {
    std::string path = dir_.path() + "/not.tif";
    testing::writeFile(path, "%PDF-1.4 this is not a TIFF");
    CallResult result = send("0312345678", path);
    EXPECT_EQ(result.result, "failed");
    EXPECT_NE(result.reason.find("not a readable TIFF"), std::string::npos) << result.reason;
    EXPECT_EQ(result.pages, 0);
}

TEST_F(SimLineTest, MissingFileFails) {
    CallResult result = send("0312345678", dir_.path() + "/missing.tif");
    EXPECT_EQ(result.result, "failed");
    EXPECT_NE(result.reason.find("not a readable TIFF"), std::string::npos) << result.reason;
}

TEST_F(SimLineTest, TruncatedTiffFails) {
    std::string bytes = testing::readFile(tiffPath_);
    std::string path = dir_.path() + "/cut.tif";
    testing::writeFile(path, bytes.substr(0, 12));
    EXPECT_EQ(send("0312345678", path).result, "failed");
}

TEST_F(SimLineTest, PagesAreCountedFromTheTiffNotTakenFromTheCall) {
    std::string path = dir_.path() + "/two.tif";
    writeFaxTiff(path, 2);
    CallResult result = send("0312345678", path);  // the call says 3
    EXPECT_EQ(result.result, "ok");
    EXPECT_EQ(result.pages, 2);
    EXPECT_EQ(result.pagesTotal, 2);
}

TEST(SimLineOptionsTest, InvalidPatternNamesTheSetting) {
    SimSettings sim;
    sim.failPattern = "([";
    try {
        SimLine line(LineSettings{}, sim);
        FAIL() << "accepted an invalid pattern";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("sim.fail"), std::string::npos) << e.what();
    }
}

TEST(FormatSecondsTest, PlainWords) {
    EXPECT_EQ(formatSeconds(45000), "45 s");
    EXPECT_EQ(formatSeconds(1500), "1.5 s");
    EXPECT_EQ(formatSeconds(50), "0.05 s");
}

}  // namespace
}  // namespace faxgate::node
