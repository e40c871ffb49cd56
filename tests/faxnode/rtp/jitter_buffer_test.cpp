// The fixed-delay jitter buffer: playout delay, reordering, loss, late and duplicate
// packets, sequence number wrap, a sender running ahead, and a confirmed sequence jump.
#include "faxnode/rtp/jitter_buffer.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace faxgate::node::rtp {
namespace {

using Playout = JitterBuffer::Playout;
using PushResult = JitterBuffer::PushResult;

// A frame that says which sequence number it belongs to.
std::vector<uint8_t> frame(uint16_t sequence) {
    std::vector<uint8_t> f(kFrameBytes, static_cast<uint8_t>(sequence));
    f[0] = static_cast<uint8_t>(sequence >> 8);
    return f;
}

PushResult push(JitterBuffer& buffer, uint16_t sequence) {
    return buffer.push(sequence, frame(sequence));
}

// What the next pop plays: "wait", "miss", or the sequence number of the frame.
std::string pop(JitterBuffer& buffer) {
    const JitterBuffer::Tick tick = buffer.pop();
    if (tick.playout == Playout::kWaiting) return "wait";
    if (tick.playout == Playout::kMissing) return "miss";
    EXPECT_EQ(tick.frame.size(), kFrameBytes);
    return std::to_string((tick.frame[0] << 8) | tick.frame[1]);
}

std::vector<std::string> pops(JitterBuffer& buffer, int count) {
    std::vector<std::string> played;
    for (int i = 0; i < count; ++i) played.push_back(pop(buffer));
    return played;
}

using Plays = std::vector<std::string>;

TEST(JitterBufferTest, WaitsBeforeTheFirstPacketAndForTheFixedDelay) {
    JitterBuffer buffer({3, 8});
    EXPECT_EQ(pops(buffer, 2), (Plays{"wait", "wait"}));  // nothing received yet
    EXPECT_EQ(push(buffer, 10), PushResult::kStored);
    EXPECT_EQ(pops(buffer, 3), (Plays{"wait", "wait", "wait"}));
    EXPECT_EQ(push(buffer, 11), PushResult::kStored);
    EXPECT_EQ(push(buffer, 12), PushResult::kStored);
    EXPECT_EQ(pops(buffer, 3), (Plays{"10", "11", "12"}));
    EXPECT_EQ(buffer.stats().played, 3u);
    EXPECT_EQ(buffer.stats().lost, 0u);
}

TEST(JitterBufferTest, ReordersWithinTheDelay) {
    JitterBuffer buffer({4, 16});
    // Sequence 2 arrives first; 0 and 1, sent before it, arrive right after.
    for (uint16_t s : {2, 0, 3, 1}) EXPECT_EQ(push(buffer, s), PushResult::kStored);
    // 2 still plays 4 ticks after it arrived; 0 and 1 take the places before it.
    EXPECT_EQ(pops(buffer, 6), (Plays{"wait", "wait", "0", "1", "2", "3"}));
    for (uint16_t s : {6, 5, 4}) EXPECT_EQ(push(buffer, s), PushResult::kStored);
    EXPECT_EQ(pops(buffer, 3), (Plays{"4", "5", "6"}));
    EXPECT_EQ(buffer.stats().reordered, 4u);  // 0, 1, 5, 4
    EXPECT_EQ(buffer.stats().late, 0u);
}

TEST(JitterBufferTest, MissingFrameIsPlayedAsMissingAndNotRepeated) {
    JitterBuffer buffer({1, 8});
    for (uint16_t s : {0, 1, 3}) push(buffer, s);
    EXPECT_EQ(pops(buffer, 5), (Plays{"wait", "0", "1", "miss", "3"}));
    EXPECT_EQ(buffer.stats().lost, 1u);
    // The stream stops: every tick is missing from now on.
    EXPECT_EQ(pops(buffer, 2), (Plays{"miss", "miss"}));
    EXPECT_EQ(buffer.stats().lost, 3u);
}

TEST(JitterBufferTest, LateAndDuplicatePacketsAreDropped) {
    JitterBuffer buffer({1, 8});
    for (uint16_t s : {0, 1, 3}) push(buffer, s);
    EXPECT_EQ(push(buffer, 3), PushResult::kDuplicate);  // still buffered
    pops(buffer, 5);                                     // wait 0 1 miss 3
    EXPECT_EQ(push(buffer, 2), PushResult::kLate);       // its place was played as missing
    EXPECT_EQ(push(buffer, 1), PushResult::kDuplicate);  // already played
    EXPECT_EQ(buffer.stats().late, 1u);
    EXPECT_EQ(buffer.stats().duplicates, 2u);
    push(buffer, 4);
    EXPECT_EQ(pop(buffer), "4");  // the late ones changed nothing
}

TEST(JitterBufferTest, SequenceNumbersWrap) {
    JitterBuffer buffer({2, 8});
    Plays expected = {"wait", "wait"};
    uint16_t s = 65533;
    for (int i = 0; i < 8; ++i, ++s) {
        push(buffer, s);
        expected.push_back(std::to_string(s));
    }
    EXPECT_EQ(pops(buffer, 10), expected);
    EXPECT_EQ(buffer.stats().lost, 0u);
    // Reordering across the wrap.
    JitterBuffer wrapped({3, 8});
    for (uint16_t t : {0, 65535, 1, 65534}) EXPECT_EQ(push(wrapped, t), PushResult::kStored);
    EXPECT_EQ(pops(wrapped, 5), (Plays{"wait", "65534", "65535", "0", "1"}));
}

TEST(JitterBufferTest, SenderRunningAheadLosesItsOldestFrames) {
    JitterBuffer buffer({2, 8});
    for (uint16_t s = 0; s < 8; ++s) EXPECT_EQ(push(buffer, s), PushResult::kStored);
    EXPECT_EQ(push(buffer, 8), PushResult::kStored);  // one more than the buffer holds
    EXPECT_EQ(buffer.stats().overflow, 1u);
    EXPECT_EQ(pops(buffer, 4), (Plays{"wait", "wait", "1", "2"}));
}

TEST(JitterBufferTest, ConfirmedSequenceJumpAfterASilenceWaitsTheDelayAgain) {
    JitterBuffer buffer({2, 8});
    push(buffer, 100);
    push(buffer, 101);
    EXPECT_EQ(pops(buffer, 4), (Plays{"wait", "wait", "100", "101"}));
    // One stray packet far away is kept out...
    EXPECT_EQ(push(buffer, 40000), PushResult::kDiscarded);
    EXPECT_EQ(push(buffer, 102), PushResult::kStored);
    EXPECT_EQ(pop(buffer), "102");
    // ...but a jump confirmed by the next number is followed; nothing was buffered, so the
    // new numbering gets the fixed delay again.
    EXPECT_EQ(push(buffer, 50000), PushResult::kDiscarded);
    EXPECT_EQ(push(buffer, 50001), PushResult::kStored);
    EXPECT_EQ(push(buffer, 50002), PushResult::kStored);
    EXPECT_EQ(pops(buffer, 4), (Plays{"wait", "wait", "50001", "50002"}));
    EXPECT_EQ(buffer.stats().restarts, 1u);
    EXPECT_EQ(buffer.stats().discarded, 2u);
}

TEST(JitterBufferTest, RestartedNumberingContinuesAfterTheBufferedFrames) {
    JitterBuffer buffer({2, 8});
    for (uint16_t s = 0; s < 4; ++s) push(buffer, s);
    EXPECT_EQ(pops(buffer, 3), (Plays{"wait", "wait", "0"}));
    // The sender restarts at 9000 while 1, 2 and 3 are still buffered (a new SSRC).
    buffer.continueWith(9000);
    for (uint16_t s = 9000; s < 9003; ++s) EXPECT_EQ(push(buffer, s), PushResult::kStored);
    // Old frames first, the new ones right behind them: no frame lost, no extra wait.
    EXPECT_EQ(pops(buffer, 6), (Plays{"1", "2", "3", "9000", "9001", "9002"}));
    EXPECT_EQ(buffer.stats().lost, 0u);
    EXPECT_EQ(buffer.stats().restarts, 1u);
    // Reordering and duplicates work in the new numbering too.
    for (uint16_t s : {9004, 9003}) EXPECT_EQ(push(buffer, s), PushResult::kStored);
    EXPECT_EQ(push(buffer, 9004), PushResult::kDuplicate);
    EXPECT_EQ(pops(buffer, 2), (Plays{"9003", "9004"}));
}

TEST(JitterBufferTest, ResetStartsOver) {
    JitterBuffer buffer({1, 4});
    push(buffer, 7);
    buffer.reset();
    EXPECT_EQ(pop(buffer), "wait");
    push(buffer, 900);
    EXPECT_EQ(pops(buffer, 2), (Plays{"wait", "900"}));
}

TEST(JitterBufferTest, RefusesWrongSizesAndOptions) {
    JitterBuffer buffer;
    std::vector<uint8_t> shortFrame(80);
    EXPECT_EQ(buffer.push(1, shortFrame), PushResult::kWrongSize);
    EXPECT_EQ(pop(buffer), "wait");
    EXPECT_THROW(JitterBuffer({4, 4}), std::invalid_argument);
    EXPECT_THROW(JitterBuffer({-1, 4}), std::invalid_argument);
}

}  // namespace
}  // namespace faxgate::node::rtp
