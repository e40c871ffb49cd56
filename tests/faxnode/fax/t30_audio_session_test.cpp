// T30AudioSession against another session with the audio passed straight across, in
// simulated time: a whole document, station IDs, modem choice from the bit rate, calls
// nobody answers, hang-ups and a cut line in the middle of a document, a header line, and
// settings that are refused.
#include "faxnode/fax/t30_audio_session.h"

#include <gtest/gtest.h>
#include <spandsp.h>

#include <array>

#include "tests/faxnode/fax/fax_test_documents.h"
#include "tests/faxnode/fax/simulated_call.h"

namespace faxgate::node::fax {
namespace {

using testing::readBilevelTiff;
using testing::SimulatedCall;
using testing::TempDir;
using testing::writePatternTiff;

constexpr int kTicksPerSecond = 50;
// A 3-page call takes about 46 s at 14,400 bit/s; slower modems take longer.
constexpr int kMaxCallTicks = 300 * kTicksPerSecond;

T30Settings settings(const std::string& stationId) {
    T30Settings s;
    s.stationId = stationId;
    return s;
}

class T30AudioSessionTest : public ::testing::Test {
  protected:
    void SetUp() override { writePatternTiff(sentPath, 3); }
    TempDir dir;
    std::string sentPath = dir.file("sent.tif");
    std::string receivedPath = dir.file("received.tif");
};

TEST_F(T30AudioSessionTest, SendsThreePagesAndBothEndsAgree) {
    T30AudioSession caller(FaxRole::kCaller, settings("+81 3 1111 1111"), sentPath);
    T30AudioSession answerer(FaxRole::kAnswerer, settings("+81 3 2222 2222"), receivedPath);
    SimulatedCall call(caller, &answerer);
    call.run(kMaxCallTicks);

    ASSERT_TRUE(caller.finished());
    ASSERT_TRUE(answerer.finished());
    const T30Result& sent = caller.result();
    EXPECT_EQ(sent.completionCode, T30_ERR_OK) << sent.completionText;
    EXPECT_EQ(sent.pages, 3);
    EXPECT_EQ(sent.pagesTotal, 3);
    EXPECT_EQ(sent.bitRate, 14400);
    EXPECT_TRUE(sent.ecm);
    EXPECT_EQ(sent.remoteStationId, "+81 3 2222 2222");
    EXPECT_EQ(caller.recordOutcome().result, "ok");
    EXPECT_EQ(caller.recordOutcome().reason, "all 3 pages confirmed by the receiver");

    const T30Result& received = answerer.result();
    EXPECT_EQ(received.pages, 3);
    EXPECT_EQ(received.remoteStationId, "+81 3 1111 1111");
    EXPECT_EQ(answerer.recordOutcome().result, "ok");
    EXPECT_EQ(readBilevelTiff(receivedPath), readBilevelTiff(sentPath));
}

TEST_F(T30AudioSessionTest, MaxBitRateChoosesTheModem) {
    for (int maxBitRate : {9600, 4800}) {
        T30Settings limited = settings("1");
        limited.maxBitRate = maxBitRate;
        T30AudioSession caller(FaxRole::kCaller, limited, sentPath);
        T30AudioSession answerer(FaxRole::kAnswerer, settings("2"), receivedPath);
        SimulatedCall call(caller, &answerer);
        call.run(kMaxCallTicks);
        ASSERT_TRUE(caller.finished()) << maxBitRate;
        EXPECT_EQ(caller.recordOutcome().result, "ok") << caller.recordOutcome().reason;
        EXPECT_EQ(caller.result().bitRate, maxBitRate);
        EXPECT_EQ(answerer.result().bitRate, maxBitRate);
    }
}

TEST_F(T30AudioSessionTest, CallNobodyAnswersEndsAsNoAnswerInBoundedTime) {
    T30AudioSession caller(FaxRole::kCaller, settings("1"), sentPath);
    SimulatedCall call(caller, nullptr);
    const int ticks = call.run(90 * kTicksPerSecond);

    ASSERT_TRUE(caller.finished());
    EXPECT_LE(ticks, 61 * kTicksPerSecond);  // T.30's T0: 60 s for the answer
    EXPECT_EQ(caller.result().completionCode, T30_ERR_T0_EXPIRED);
    EXPECT_FALSE(caller.result().faxPeerSeen);
    EXPECT_EQ(caller.result().pages, 0);
    EXPECT_EQ(caller.result().bitRate, 0);
    EXPECT_EQ(caller.recordOutcome().result, "no_answer");
}

TEST_F(T30AudioSessionTest, AnswererThatHearsNoFaxFailsAfterT1) {
    // The answerer sends its DIS into a line that stays silent (a caller that is no fax).
    T30AudioSession answerer(FaxRole::kAnswerer, settings("2"), receivedPath);
    SimulatedCall call(answerer, nullptr);
    const int ticks = call.run(90 * kTicksPerSecond);

    EXPECT_LE(ticks, 36 * kTicksPerSecond);  // T.30's T1: 35 s
    ASSERT_TRUE(answerer.finished());
    EXPECT_FALSE(answerer.result().faxPeerSeen);
    EXPECT_EQ(answerer.result().pages, 0);
    EXPECT_EQ(answerer.recordOutcome().result, "failed");
}

TEST_F(T30AudioSessionTest, HangUpMidDocumentKeepsTheConfirmedPages) {
    T30AudioSession caller(FaxRole::kCaller, settings("1"), sentPath);
    T30AudioSession answerer(FaxRole::kAnswerer, settings("2"), receivedPath);
    SimulatedCall call(caller, &answerer);
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
    EXPECT_EQ(caller.result().pagesTotal, 3);
    EXPECT_EQ(caller.recordOutcome().result, "failed");
    EXPECT_EQ(answerer.result().pages, 1);
    EXPECT_EQ(answerer.recordOutcome().result, "partial");
    const auto received = readBilevelTiff(receivedPath);
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0], readBilevelTiff(sentPath)[0]);
}

TEST_F(T30AudioSessionTest, HangUpBeforeAnyAudioIsNoCarrier) {
    T30AudioSession caller(FaxRole::kCaller, settings("1"), sentPath);
    caller.hangUp();
    ASSERT_TRUE(caller.finished());
    EXPECT_EQ(caller.result().completionCode, T30_ERR_CALLDROPPED);
    EXPECT_EQ(caller.recordOutcome().result, "no_carrier");
    // A finished session only sends silence and ignores what it hears.
    std::array<int16_t, T30AudioSession::kSamplesPerBlock> heard{}, said{};
    heard.fill(1000);
    said.fill(1);
    caller.processAudio(heard.data(), said.data());
    EXPECT_EQ(said, (std::array<int16_t, T30AudioSession::kSamplesPerBlock>{}));
    caller.hangUp();  // idempotent
    EXPECT_EQ(caller.result().completionCode, T30_ERR_CALLDROPPED);
}

TEST_F(T30AudioSessionTest, PagesCountOnlyWhatTheReceiverConfirmed) {
    // The line from the answerer back to the caller goes dead right after page 2 arrived:
    // the answerer has the page, but its MCF never reaches the caller, whose record must
    // then say 1 page, not 2.
    T30AudioSession caller(FaxRole::kCaller, settings("1"), sentPath);
    T30AudioSession answerer(FaxRole::kAnswerer, settings("2"), receivedPath);
    SimulatedCall call(caller, &answerer);
    call.run(kMaxCallTicks, [&](int) {
        if (answerer.pagesSoFar() == 2) call.mute(1);
    });

    ASSERT_TRUE(caller.finished());
    ASSERT_TRUE(answerer.finished());
    EXPECT_EQ(answerer.result().pages, 2);
    EXPECT_EQ(caller.result().pages, 1);
    EXPECT_TRUE(caller.result().faxPeerSeen);
    EXPECT_EQ(caller.recordOutcome().result, "failed");
    EXPECT_NE(caller.recordOutcome().reason.find("1 of 3 pages confirmed"), std::string::npos)
        << caller.recordOutcome().reason;
    EXPECT_EQ(answerer.recordOutcome().result, "partial");
}

TEST_F(T30AudioSessionTest, HeaderLineIsPrintedAboveEachPage) {
    T30Settings withHeader = settings("1");
    withHeader.headerInfo = "faxgate test header";
    T30AudioSession caller(FaxRole::kCaller, withHeader, sentPath);
    T30AudioSession answerer(FaxRole::kAnswerer, settings("2"), receivedPath);
    SimulatedCall call(caller, &answerer);
    call.run(kMaxCallTicks);
    ASSERT_EQ(caller.recordOutcome().result, "ok") << caller.recordOutcome().reason;

    const auto sent = readBilevelTiff(sentPath);
    const auto received = readBilevelTiff(receivedPath);
    ASSERT_EQ(received.size(), sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i) {
        ASSERT_GT(received[i].heightPx, sent[i].heightPx) << "page " << i;
        const uint32_t headerRows = received[i].heightPx - sent[i].heightPx;
        EXPECT_GT(testing::countBlack(received[i], 0, headerRows), 0) << "page " << i;
        // Below the header, the page itself, unchanged.
        const std::size_t offset = headerRows * testing::kRowBytes;
        EXPECT_TRUE(std::equal(sent[i].bits.begin(), sent[i].bits.end(),
                               received[i].bits.begin() + static_cast<std::ptrdiff_t>(offset)))
            << "page " << i;
    }
}

TEST_F(T30AudioSessionTest, MissingDocumentFailsWithAFileError) {
    T30AudioSession caller(FaxRole::kCaller, settings("1"), dir.file("missing.tif"));
    T30AudioSession answerer(FaxRole::kAnswerer, settings("2"), receivedPath);
    SimulatedCall call(caller, &answerer);
    call.run(kMaxCallTicks);

    ASSERT_TRUE(caller.finished());
    EXPECT_EQ(caller.result().pages, 0);
    EXPECT_EQ(caller.recordOutcome().result, "failed");
    EXPECT_NE(caller.recordOutcome().reason.find("document could not be sent"), std::string::npos)
        << caller.recordOutcome().reason;
}

TEST(T30SettingsTest, RefusesWhatSpanDspCannotCarry) {
    EXPECT_EQ(validateT30Settings(settings("+81 3 1234 5678")), "");
    EXPECT_NE(validateT30Settings(settings("123456789012345678901")).find("stationId"),
              std::string::npos);
    EXPECT_NE(validateT30Settings(settings("caf\xc3\xa9")).find("stationId"), std::string::npos);
    T30Settings longHeader = settings("1");
    longHeader.headerInfo = std::string(51, 'x');
    EXPECT_NE(validateT30Settings(longHeader).find("headerInfo"), std::string::npos);
    T30Settings slow = settings("1");
    slow.maxBitRate = 1200;
    EXPECT_NE(validateT30Settings(slow).find("maxBitRate"), std::string::npos);
    EXPECT_THROW(T30AudioSession(FaxRole::kCaller, slow, "/nonexistent.tif"),
                 std::invalid_argument);
}

}  // namespace
}  // namespace faxgate::node::fax
