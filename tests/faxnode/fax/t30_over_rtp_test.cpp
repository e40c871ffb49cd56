// Two T.30 sessions faxing each other the way a SIP call carries them: G.711 RTP packets,
// a network that reorders them within the jitter buffer's depth (and, in some tests, loses
// or duplicates them), the far end's jitter buffer and decoder. Simulated time throughout.
#include <gtest/gtest.h>

#include <array>

#include "faxnode/fax/t30_audio_session.h"
#include "tests/faxnode/fax/fax_test_documents.h"
#include "tests/faxnode/fax/simulated_call.h"

namespace faxgate::node::fax {
namespace {

using testing::readBilevelTiff;
using testing::SimulatedCall;
using testing::SimulatedLink;
using testing::TempDir;

constexpr int kMaxCallTicks = 300 * 50;

class T30OverRtpTest : public ::testing::Test {
  protected:
    void SetUp() override { testing::writePatternTiff(sentPath, 3); }

    // Runs a 3-page call over `link`; the answerer's ECM setting follows the caller's.
    void fax(const SimulatedLink& link, bool ecm) {
        T30Settings callerSettings;
        callerSettings.stationId = "+81 3 1111 1111";
        callerSettings.ecm = ecm;
        T30Settings answererSettings = callerSettings;
        answererSettings.stationId = "+81 3 2222 2222";
        T30AudioSession caller(FaxRole::kCaller, callerSettings, sentPath);
        T30AudioSession answerer(FaxRole::kAnswerer, answererSettings, receivedPath);
        SimulatedCall call(caller, &answerer, link);
        call.run(kMaxCallTicks);
        ASSERT_TRUE(caller.finished());
        ASSERT_TRUE(answerer.finished());
        sent = caller.result();
        received = answerer.result();
        sentOutcome = caller.recordOutcome();
        receivedOutcome = answerer.recordOutcome();
        callerStream = call.stream(0).stats();
        answererStream = call.stream(1).stats();
    }

    TempDir dir;
    std::string sentPath = dir.file("sent.tif");
    std::string receivedPath = dir.file("received.tif");
    T30Result sent, received;
    RecordOutcome sentOutcome, receivedOutcome;
    rtp::RtpStreamStats callerStream, answererStream;
};

SimulatedLink shuffledRtp(rtp::G711Law law) {
    SimulatedLink link;
    link.throughRtp = true;
    link.law = law;
    link.jitter.delayFrames = 4;
    link.reorderWindow = 4;  // within the jitter buffer's delay: reordered, never late
    return link;
}

TEST_F(T30OverRtpTest, EcmPagesArrivePixelForPixelThroughPcmaAndAShufflingNetwork) {
    ASSERT_NO_FATAL_FAILURE(fax(shuffledRtp(rtp::G711Law::kALaw), true));

    EXPECT_EQ(sentOutcome.result, "ok") << sentOutcome.reason;
    EXPECT_EQ(sent.pages, 3);
    EXPECT_TRUE(sent.ecm);
    EXPECT_EQ(sent.bitRate, 14400);
    EXPECT_EQ(receivedOutcome.result, "ok") << receivedOutcome.reason;
    EXPECT_EQ(received.pages, 3);
    const auto sentPages = readBilevelTiff(sentPath);
    const auto receivedPages = readBilevelTiff(receivedPath);
    ASSERT_EQ(receivedPages.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(receivedPages[i].widthPx, testing::kPageWidthPx);
        EXPECT_EQ(receivedPages[i], sentPages[i]) << "page " << i;
    }
    // The network did reorder, and the jitter buffer absorbed all of it.
    for (const auto& stats : {callerStream, answererStream}) {
        EXPECT_GT(stats.jitter.reordered, 100u);
        EXPECT_EQ(stats.jitter.late, 0u);
        EXPECT_EQ(stats.jitter.lost, 0u);
        EXPECT_EQ(stats.malformed + stats.wrongPayloadType + stats.foreignSsrc, 0u);
    }
}

TEST_F(T30OverRtpTest, StationIdsCrossTheCall) {
    ASSERT_NO_FATAL_FAILURE(fax(shuffledRtp(rtp::G711Law::kALaw), true));
    EXPECT_EQ(sent.remoteStationId, "+81 3 2222 2222");
    EXPECT_EQ(received.remoteStationId, "+81 3 1111 1111");
}

TEST_F(T30OverRtpTest, WithoutEcmThroughPcmuTheCallCompletes) {
    ASSERT_NO_FATAL_FAILURE(fax(shuffledRtp(rtp::G711Law::kMuLaw), false));

    EXPECT_EQ(sentOutcome.result, "ok") << sentOutcome.reason;
    EXPECT_EQ(sent.pages, 3);
    EXPECT_FALSE(sent.ecm);
    EXPECT_EQ(receivedOutcome.result, "ok") << receivedOutcome.reason;
    const auto receivedPages = readBilevelTiff(receivedPath);
    ASSERT_EQ(receivedPages.size(), 3u);
    EXPECT_EQ(receivedPages, readBilevelTiff(sentPath));
}

TEST_F(T30OverRtpTest, EcmRepairsLostPackets) {
    SimulatedLink lossy = shuffledRtp(rtp::G711Law::kALaw);
    lossy.lossRate = 0.002;
    lossy.seed = 7;
    ASSERT_NO_FATAL_FAILURE(fax(lossy, true));

    EXPECT_GT(callerStream.jitter.lost + answererStream.jitter.lost, 0u);
    EXPECT_EQ(sentOutcome.result, "ok") << sentOutcome.reason;
    EXPECT_EQ(readBilevelTiff(receivedPath), readBilevelTiff(sentPath));
}

TEST_F(T30OverRtpTest, DuplicatedPacketsAreDroppedAndHarmless) {
    SimulatedLink duplicating = shuffledRtp(rtp::G711Law::kALaw);
    duplicating.duplicateRate = 0.05;
    ASSERT_NO_FATAL_FAILURE(fax(duplicating, true));

    EXPECT_GT(answererStream.jitter.duplicates, 50u);
    EXPECT_EQ(answererStream.jitter.lost, 0u);
    EXPECT_EQ(sentOutcome.result, "ok") << sentOutcome.reason;
    EXPECT_EQ(readBilevelTiff(receivedPath), readBilevelTiff(sentPath));
}

// A re-INVITE in the middle of page 2: both ends restart their RTP sending with new SSRCs
// and numbering. Returns the two receiving streams' statistics.
std::array<rtp::RtpStreamStats, 2> faxWithRestartMidPage(const std::string& sentPath,
                                                         const std::string& receivedPath,
                                                         const SimulatedLink& link, bool ecm,
                                                         RecordOutcome& sent,
                                                         RecordOutcome& received) {
    T30Settings settings;
    settings.ecm = ecm;
    T30AudioSession caller(FaxRole::kCaller, settings, sentPath);
    T30AudioSession answerer(FaxRole::kAnswerer, settings, receivedPath);
    SimulatedCall call(caller, &answerer, link);
    int restartAt = -1;
    call.run(kMaxCallTicks, [&](int tick) {
        if (restartAt < 0 && caller.pagesSoFar() == 1) restartAt = tick + 3 * 50;
        if (tick == restartAt) {
            call.restartSending(0, {0x0badcafe, 12345, 777});
            call.restartSending(1, {0x0d15ea5e, 65530, 4294967000u});
        }
    });
    EXPECT_GT(restartAt, 0);
    sent = caller.recordOutcome();
    received = answerer.recordOutcome();
    return {call.stream(0).stats(), call.stream(1).stats()};
}

TEST_F(T30OverRtpTest, StreamRestartedMidPageLosesNothingWithoutEcm) {
    // Packets in order (but through the jitter buffer): without ECM nothing could repair a
    // lost frame, so the page arriving intact shows the restart cost no audio.
    SimulatedLink inOrder = shuffledRtp(rtp::G711Law::kALaw);
    inOrder.reorderWindow = 1;
    const auto stats =
        faxWithRestartMidPage(sentPath, receivedPath, inOrder, false, sentOutcome, receivedOutcome);
    EXPECT_EQ(sentOutcome.result, "ok") << sentOutcome.reason;
    EXPECT_EQ(receivedOutcome.result, "ok") << receivedOutcome.reason;
    for (const auto& s : stats) {
        EXPECT_EQ(s.ssrcChanges, 1u);
        EXPECT_EQ(s.jitter.lost, 0u);
    }
    EXPECT_EQ(readBilevelTiff(receivedPath), readBilevelTiff(sentPath));
}

TEST_F(T30OverRtpTest, StreamRestartedMidPageOnAShufflingNetworkKeepsEveryPageWithEcm) {
    // Reordering across the switch can cost the old stream's last packets; ECM repairs them.
    const auto stats =
        faxWithRestartMidPage(sentPath, receivedPath, shuffledRtp(rtp::G711Law::kALaw), true,
                              sentOutcome, receivedOutcome);
    EXPECT_EQ(sentOutcome.result, "ok") << sentOutcome.reason;
    EXPECT_EQ(receivedOutcome.result, "ok") << receivedOutcome.reason;
    for (const auto& s : stats) {
        EXPECT_EQ(s.ssrcChanges, 1u);
        EXPECT_LE(s.jitter.lost, 4u);
    }
    EXPECT_EQ(readBilevelTiff(receivedPath), readBilevelTiff(sentPath));
}

TEST_F(T30OverRtpTest, CallNobodyAnswersOverRtpEndsAsNoAnswer) {
    T30Settings callerSettings;
    T30AudioSession caller(FaxRole::kCaller, callerSettings, sentPath);
    SimulatedCall call(caller, nullptr, shuffledRtp(rtp::G711Law::kALaw));
    const int ticks = call.run(90 * 50);
    ASSERT_TRUE(caller.finished());
    EXPECT_LE(ticks, 61 * 50);
    EXPECT_EQ(caller.recordOutcome().result, "no_answer");
}

}  // namespace
}  // namespace faxgate::node::fax
