// Two T38FaxSessions exchanging a 3-page fine document through two UdptlSessions and a
// simulated network, in simulated time: a clean line, 10% random loss recovered by
// redundancy or FEC, loss without error correction (where only the honesty of the result is
// guaranteed), jitter with reordering and duplicates, sequence numbers wrapping mid-call,
// the T.38 options, calls nobody answers, hang-ups and cut lines.
#include "faxnode/t38/t38_fax_session.h"

#include <gtest/gtest.h>
#include <spandsp.h>

#include <stdexcept>

#include "tests/faxnode/fax/fax_test_documents.h"
#include "tests/faxnode/t38/simulated_t38_call.h"

namespace faxgate::node::t38 {
namespace {

using fax::FaxRole;
using fax::T30Settings;
using fax::testing::readBilevelTiff;
using fax::testing::TempDir;
using fax::testing::writePatternTiff;
using testing::SimulatedT38Call;
using testing::T38Link;

constexpr int kTicksPerSecond = 50;
// A 3-page call takes about a minute at 14,400 bit/s; loss and slower modems take longer.
constexpr int kMaxCallTicks = 400 * kTicksPerSecond;

T30Settings settings(const std::string& stationId) {
    T30Settings s;
    s.stationId = stationId;
    return s;
}

T38Link lossyLink(double lossRate, UdptlErrorCorrection errorCorrection, unsigned seed) {
    T38Link link;
    link.udptl.errorCorrection = errorCorrection;
    link.lossRate = lossRate;
    link.seed = seed;
    return link;
}

class T38FaxSessionTest : public ::testing::Test {
  protected:
    void SetUp() override { writePatternTiff(sentPath, 3); }

    // Both ends finished with every page confirmed, and the received document is the sent
    // one pixel for pixel.
    void expectCompleteFax(const T38FaxSession& caller, const T38FaxSession& answerer) {
        ASSERT_TRUE(caller.finished());
        ASSERT_TRUE(answerer.finished());
        EXPECT_EQ(caller.result().completionCode, T30_ERR_OK) << caller.result().completionText;
        EXPECT_EQ(caller.result().pages, 3);
        EXPECT_EQ(caller.recordOutcome().result, "ok") << caller.recordOutcome().reason;
        EXPECT_EQ(answerer.result().pages, 3);
        EXPECT_EQ(answerer.recordOutcome().result, "ok") << answerer.recordOutcome().reason;
        EXPECT_EQ(readBilevelTiff(receivedPath), readBilevelTiff(sentPath));
    }

    TempDir dir;
    std::string sentPath = dir.file("sent.tif");
    std::string receivedPath = dir.file("received.tif");
};

TEST_F(T38FaxSessionTest, SendsThreePagesAndBothEndsAgree) {
    T38FaxSession caller(FaxRole::kCaller, settings("+81 3 1111 1111"), {}, sentPath);
    T38FaxSession answerer(FaxRole::kAnswerer, settings("+81 3 2222 2222"), {}, receivedPath);
    SimulatedT38Call call(caller, &answerer);
    call.run(kMaxCallTicks);

    expectCompleteFax(caller, answerer);
    const fax::T30Result& sent = caller.result();
    EXPECT_EQ(sent.pagesTotal, 3);
    EXPECT_EQ(sent.bitRate, 14400);
    EXPECT_TRUE(sent.ecm);
    EXPECT_TRUE(sent.faxPeerSeen);
    EXPECT_EQ(sent.remoteStationId, "+81 3 2222 2222");
    EXPECT_EQ(caller.recordOutcome().reason, "all 3 pages confirmed by the receiver");
    EXPECT_EQ(answerer.result().remoteStationId, "+81 3 1111 1111");
    EXPECT_EQ(caller.refusedIfps(), 0u);
    EXPECT_EQ(answerer.refusedIfps(), 0u);
    for (int side = 0; side < 2; ++side) {
        const UdptlStats& stats = call.udptl(side).stats();
        EXPECT_EQ(stats.lost, 0u);
        EXPECT_EQ(stats.malformed, 0u);
        EXPECT_EQ(stats.oversize, 0u);
        EXPECT_EQ(stats.delivered, call.ifpSent(1 - side));
    }
}

TEST_F(T38FaxSessionTest, TenPercentLossIsRecoveredByRedundancy) {
    for (unsigned seed : {1u, 2u, 3u}) {
        SCOPED_TRACE(::testing::Message() << "seed " << seed);
        T38FaxSession caller(FaxRole::kCaller, settings("1"), {}, sentPath);
        T38FaxSession answerer(FaxRole::kAnswerer, settings("2"), {}, receivedPath);
        SimulatedT38Call call(caller, &answerer,
                              lossyLink(0.10, UdptlErrorCorrection::kRedundancy, seed));
        call.run(kMaxCallTicks);
        expectCompleteFax(caller, answerer);
        // The answerer receives the document (about 2,000 IFP packets), the caller mostly
        // the answerer's short replies.
        EXPECT_GT(call.udptl(1).stats().recoveredRedundancy, 100u);
        EXPECT_GT(call.udptl(0).stats().recoveredRedundancy, 0u);
    }
}

// Parity is weaker than redundancy for the same overhead: two losses close together in one
// group, or at the end of a burst of replies, can be beyond it (in a sweep of 100 seeds,
// 98 calls completed). These seeds are typical calls, and fixed, so the test is repeatable.
TEST_F(T38FaxSessionTest, TenPercentLossIsRecoveredByFec) {
    for (unsigned seed : {4u, 5u}) {
        SCOPED_TRACE(::testing::Message() << "seed " << seed);
        T38FaxSession caller(FaxRole::kCaller, settings("1"), {}, sentPath);
        T38FaxSession answerer(FaxRole::kAnswerer, settings("2"), {}, receivedPath);
        SimulatedT38Call call(caller, &answerer, lossyLink(0.10, UdptlErrorCorrection::kFec, seed));
        call.run(kMaxCallTicks);
        expectCompleteFax(caller, answerer);
        EXPECT_GT(call.udptl(1).stats().recoveredFec, 100u);
        EXPECT_GT(call.udptl(0).stats().recoveredFec, 0u);
        // Rebuilt packets lost their zero padding before the terminal saw them.
        EXPECT_EQ(caller.refusedIfps(), 0u);
        EXPECT_EQ(answerer.refusedIfps(), 0u);
    }
}

TEST_F(T38FaxSessionTest, LossWithoutErrorCorrectionEndsWithAnHonestResult) {
    // Without redundancy, 10% of the IFP packets are gone for good. V.21 frames travel one
    // octet per packet, so most of them lose an octet and the call usually fails; what is
    // guaranteed is that it ends in bounded time and the records claim no more than was
    // confirmed.
    T38FaxSession caller(FaxRole::kCaller, settings("1"), {}, sentPath);
    T38FaxSession answerer(FaxRole::kAnswerer, settings("2"), {}, receivedPath);
    SimulatedT38Call call(caller, &answerer, lossyLink(0.10, UdptlErrorCorrection::kNone, 7));
    call.run(kMaxCallTicks);

    ASSERT_TRUE(caller.finished());
    ASSERT_TRUE(answerer.finished());
    EXPECT_GT(call.udptl(0).stats().lost + call.udptl(1).stats().lost, 0u);
    EXPECT_LE(caller.result().pages, answerer.result().pages);
    if (caller.recordOutcome().result == "ok") {
        EXPECT_EQ(caller.result().pages, 3);
        EXPECT_EQ(readBilevelTiff(receivedPath), readBilevelTiff(sentPath));
    }
}

TEST_F(T38FaxSessionTest, JitterReorderingAndDuplicatesAcrossTheSequenceWrap) {
    T38Link link = lossyLink(0.02, UdptlErrorCorrection::kRedundancy, 9);
    link.jitterTicks = 2;
    link.duplicateRate = 0.05;
    link.firstSequence = {64000, 65535};
    T38FaxSession caller(FaxRole::kCaller, settings("1"), {}, sentPath);
    T38FaxSession answerer(FaxRole::kAnswerer, settings("2"), {}, receivedPath);
    SimulatedT38Call call(caller, &answerer, link);
    call.run(kMaxCallTicks);

    expectCompleteFax(caller, answerer);
    EXPECT_GT(call.ifpSent(0), 1536u);  // the caller's numbers went past 65535
    for (int side = 0; side < 2; ++side) {
        EXPECT_GT(call.udptl(side).stats().duplicates, 0u);
        EXPECT_EQ(call.udptl(side).stats().restarts, 0u);
    }
}

TEST_F(T38FaxSessionTest, OptionsShapeTheCall) {
    struct Case {
        int version;
        T38RateManagement rateManagement;
        int maxBitRate;
    };
    for (const Case& c : {Case{0, T38RateManagement::kTransferredTcf, 9600},
                          Case{3, T38RateManagement::kLocalTcf, 14400},
                          Case{2, T38RateManagement::kTransferredTcf, 4800}}) {
        SCOPED_TRACE(::testing::Message() << "version " << c.version << ", " << c.maxBitRate);
        T38Options options;
        options.version = c.version;
        options.rateManagement = c.rateManagement;
        options.maxBitRate = c.maxBitRate;
        T38FaxSession caller(FaxRole::kCaller, settings("1"), options, sentPath);
        T38FaxSession answerer(FaxRole::kAnswerer, settings("2"), options, receivedPath);
        SimulatedT38Call call(caller, &answerer);
        call.run(kMaxCallTicks);
        expectCompleteFax(caller, answerer);
        EXPECT_EQ(caller.result().bitRate, c.maxBitRate);
        EXPECT_EQ(answerer.result().bitRate, c.maxBitRate);
    }
}

TEST_F(T38FaxSessionTest, CallNobodyAnswersEndsAsNoAnswerInBoundedTime) {
    T38FaxSession caller(FaxRole::kCaller, settings("1"), {}, sentPath);
    SimulatedT38Call call(caller, nullptr);
    const int ticks = call.run(90 * kTicksPerSecond);

    ASSERT_TRUE(caller.finished());
    EXPECT_LE(ticks, 61 * kTicksPerSecond);  // T.30's T0: 60 s for the answer
    EXPECT_EQ(caller.result().completionCode, T30_ERR_T0_EXPIRED);
    EXPECT_FALSE(caller.result().faxPeerSeen);
    EXPECT_EQ(caller.recordOutcome().result, "no_answer");
}

TEST_F(T38FaxSessionTest, HangUpMidDocumentKeepsTheConfirmedPages) {
    T38FaxSession caller(FaxRole::kCaller, settings("1"), {}, sentPath);
    T38FaxSession answerer(FaxRole::kAnswerer, settings("2"), {}, receivedPath);
    SimulatedT38Call call(caller, &answerer);
    int hungUpAt = -1;
    call.run(kMaxCallTicks, [&](int tick) {
        // Two seconds into page 2: both ends hang up (a BYE).
        if (hungUpAt < 0 && caller.pagesSoFar() == 1) hungUpAt = tick + 2 * kTicksPerSecond;
        if (tick == hungUpAt) {
            caller.hangUp();
            answerer.hangUp();
        }
    });

    ASSERT_TRUE(caller.finished());
    EXPECT_EQ(caller.result().completionCode, T30_ERR_CALLDROPPED);
    EXPECT_EQ(caller.result().pages, 1);
    EXPECT_EQ(caller.recordOutcome().result, "failed");
    EXPECT_EQ(answerer.result().pages, 1);
    EXPECT_EQ(answerer.recordOutcome().result, "partial");
    const auto received = readBilevelTiff(receivedPath);
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0], readBilevelTiff(sentPath)[0]);
    // Finished sessions queue nothing more.
    caller.tick();
    EXPECT_TRUE(caller.takeOutgoing().empty());
}

TEST_F(T38FaxSessionTest, PagesCountOnlyWhatTheReceiverConfirmed) {
    // The path from the answerer back to the caller goes dead right after page 2 arrived.
    T38FaxSession caller(FaxRole::kCaller, settings("1"), {}, sentPath);
    T38FaxSession answerer(FaxRole::kAnswerer, settings("2"), {}, receivedPath);
    SimulatedT38Call call(caller, &answerer);
    call.run(kMaxCallTicks, [&](int) {
        if (answerer.pagesSoFar() == 2) call.mute(1);
    });

    ASSERT_TRUE(caller.finished());
    ASSERT_TRUE(answerer.finished());
    EXPECT_EQ(answerer.result().pages, 2);
    EXPECT_EQ(caller.result().pages, 1);
    EXPECT_EQ(caller.recordOutcome().result, "failed");
    EXPECT_EQ(answerer.recordOutcome().result, "partial");
}

TEST_F(T38FaxSessionTest, MalformedIfpPacketsAreRefusedAndCounted) {
    T38FaxSession answerer(FaxRole::kAnswerer, settings("2"), {}, receivedPath);
    const uint8_t indicatorWithDataField[] = {0x84};  // data field on an indicator
    const uint8_t tooLongIndicator[] = {0x04, 0x00};  // CED with an octet too many
    answerer.receiveIfp(0, indicatorWithDataField);
    answerer.receiveIfp(1, tooLongIndicator);
    EXPECT_EQ(answerer.refusedIfps(), 2u);
    EXPECT_FALSE(answerer.finished());
}

TEST(T38OptionsTest, RefusesWhatCannotBeNegotiated) {
    EXPECT_EQ(validateT38Options({}), "");
    T38Options o;
    o.version = 4;
    EXPECT_NE(validateT38Options(o).find("version"), std::string::npos);
    o = {};
    o.maxBitRate = 1200;
    EXPECT_NE(validateT38Options(o).find("maxBitRate"), std::string::npos);
    o = {};
    o.maxDatagramBytes = 10;
    EXPECT_NE(validateT38Options(o).find("maxDatagramBytes"), std::string::npos);
    o = {};
    o.maxBufferBytes = 0;
    EXPECT_NE(validateT38Options(o).find("maxBufferBytes"), std::string::npos);
    EXPECT_THROW(T38FaxSession(FaxRole::kCaller, settings("1"), o, "/nonexistent.tif"),
                 std::invalid_argument);
    T30Settings badId = settings(std::string(21, '1'));
    EXPECT_THROW(T38FaxSession(FaxRole::kCaller, badId, {}, "/nonexistent.tif"),
                 std::invalid_argument);
}

}  // namespace
}  // namespace faxgate::node::t38
