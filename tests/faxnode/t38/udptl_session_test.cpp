// UdptlSession between a sender and a receiver with the network in the test's hands: packets
// dropped, duplicated, reordered; redundancy and FEC recovering what they can and nothing
// else; sequence numbers wrapping; the datagram size limit; a far end restarting its stream;
// the hold on packets behind a gap, released by later datagrams or by ticks.
#include "faxnode/t38/udptl_session.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <stdexcept>
#include <vector>

namespace faxgate::node::t38 {
namespace {

using Bytes = std::vector<uint8_t>;

// The IFP packet test number n sends: distinct per n, `size` octets.
Bytes ifpNumber(int n, std::size_t size = 4) {
    Bytes b(size);
    for (std::size_t i = 0; i < size; ++i) b[i] = static_cast<uint8_t>(n * 31 + i * 7 + 1);
    return b;
}

UdptlOptions redundancy(int depth) {
    UdptlOptions o;
    o.errorCorrection = UdptlErrorCorrection::kRedundancy;
    o.redundancyDepth = depth;
    return o;
}

UdptlOptions fec(int span, int entries) {
    UdptlOptions o;
    o.errorCorrection = UdptlErrorCorrection::kFec;
    o.fecSpan = span;
    o.fecEntries = entries;
    return o;
}

UdptlOptions noErrorCorrection() {
    UdptlOptions o;
    o.errorCorrection = UdptlErrorCorrection::kNone;
    return o;
}

// Sends `count` numbered IFP packets and returns their datagrams.
std::vector<Bytes> sendNumbered(UdptlSession& sender, int count, std::size_t size = 4) {
    std::vector<Bytes> datagrams;
    datagrams.reserve(static_cast<std::size_t>(count));
    for (int n = 0; n < count; ++n) datagrams.push_back(sender.send(ifpNumber(n, size)));
    return datagrams;
}

// Feeds datagrams (by index) to the receiver; returns everything delivered.
std::vector<ReceivedIfp> receiveIndexes(UdptlSession& receiver, const std::vector<Bytes>& datagrams,
                                        const std::vector<int>& order) {
    std::vector<ReceivedIfp> delivered;
    for (int i : order) {
        EXPECT_EQ(receiver.receive(datagrams[static_cast<std::size_t>(i)], delivered),
                  UdptlParseError::kNone);
    }
    return delivered;
}

std::vector<int> allBut(int count, const std::set<int>& dropped) {
    std::vector<int> order;
    for (int i = 0; i < count; ++i) {
        if (!dropped.contains(i)) order.push_back(i);
    }
    return order;
}

std::vector<int> sequences(const std::vector<ReceivedIfp>& delivered) {
    std::vector<int> s;
    s.reserve(delivered.size());
    for (const ReceivedIfp& r : delivered) s.push_back(r.sequence);
    return s;
}

TEST(UdptlSessionTest, DeliversEveryPacketOnceInOrder) {
    UdptlSession sender(redundancy(3));
    UdptlSession receiver(redundancy(3));
    const auto datagrams = sendNumbered(sender, 10);
    const auto delivered = receiveIndexes(receiver, datagrams, allBut(10, {}));
    ASSERT_EQ(delivered.size(), 10u);
    for (int n = 0; n < 10; ++n) {
        EXPECT_EQ(delivered[n].sequence, n);
        EXPECT_EQ(delivered[n].ifp, ifpNumber(n));
        EXPECT_FALSE(delivered[n].recovered());
    }
    EXPECT_EQ(sender.stats().sent, 10u);
    EXPECT_EQ(receiver.stats().received, 10u);
    EXPECT_EQ(receiver.stats().delivered, 10u);
    EXPECT_EQ(receiver.stats().lost, 0u);
    EXPECT_EQ(receiver.stats().duplicates, 0u);
}

TEST(UdptlSessionTest, DatagramsCarryTheNewestCopiesFirstAndWindUp) {
    UdptlSession sender(redundancy(3));
    const auto datagrams = sendNumbered(sender, 6);
    for (int n = 0; n < 6; ++n) {
        const UdptlParseResult parsed = parseUdptlPacket(datagrams[n]);
        ASSERT_TRUE(parsed.ok());
        EXPECT_EQ(parsed.packet.sequence, n);
        EXPECT_EQ(parsed.packet.primary, ifpNumber(n));
        ASSERT_EQ(parsed.packet.secondaries.size(), static_cast<std::size_t>(std::min(n, 3)));
        for (std::size_t back = 0; back < parsed.packet.secondaries.size(); ++back) {
            EXPECT_EQ(parsed.packet.secondaries[back], ifpNumber(n - 1 - static_cast<int>(back)));
        }
    }
    EXPECT_TRUE(sender.send({}).empty());  // nothing to send, no number used
    EXPECT_EQ(parseUdptlPacket(sender.send(ifpNumber(6))).packet.sequence, 6);
}

TEST(UdptlSessionTest, RedundancyRecoversLossesUpToItsDepth) {
    UdptlSession sender(redundancy(3));
    UdptlSession receiver(redundancy(3));
    const auto datagrams = sendNumbered(sender, 12);
    // A single loss and a burst of three.
    const auto delivered = receiveIndexes(receiver, datagrams, allBut(12, {3, 6, 7, 8}));
    ASSERT_EQ(sequences(delivered), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
    for (const ReceivedIfp& r : delivered) EXPECT_EQ(r.ifp, ifpNumber(r.sequence));
    EXPECT_TRUE(delivered[3].recovered());
    EXPECT_TRUE(delivered[7].recovered());
    EXPECT_FALSE(delivered[9].recovered());
    EXPECT_EQ(receiver.stats().recoveredRedundancy, 4u);
    EXPECT_EQ(receiver.stats().lost, 0u);
}

TEST(UdptlSessionTest, ABurstLongerThanTheDepthLosesItsOldestPackets) {
    UdptlSession sender(redundancy(2));
    UdptlSession receiver(redundancy(2));
    const auto datagrams = sendNumbered(sender, 10);
    const auto delivered = receiveIndexes(receiver, datagrams, allBut(10, {3, 4, 5, 6}));
    // Packet 7 carries 6 and 5; 3 and 4 are gone.
    EXPECT_EQ(sequences(delivered), (std::vector<int>{0, 1, 2, 5, 6, 7, 8, 9}));
    EXPECT_EQ(receiver.stats().lost, 2u);
    EXPECT_EQ(receiver.stats().recoveredRedundancy, 2u);
}

TEST(UdptlSessionTest, RecoversTheFirstPacketsWhenTheyAreLost) {
    UdptlSession sender(redundancy(3));
    UdptlSession receiver(redundancy(3));
    const auto datagrams = sendNumbered(sender, 5);
    const auto delivered = receiveIndexes(receiver, datagrams, {2, 3, 4});
    EXPECT_EQ(sequences(delivered), (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(UdptlSessionTest, RedundancyIsTrimmedToTheFarEndsDatagramSize) {
    UdptlOptions options = redundancy(3);
    options.maxDatagramBytes = 72;
    UdptlSession sender(options);
    // 30-octet packets: 35 octets alone, 66 with one copy, 97 with two.
    const auto datagrams = sendNumbered(sender, 4, 30);
    for (const Bytes& d : datagrams) EXPECT_LE(d.size(), 72u);
    EXPECT_EQ(parseUdptlPacket(datagrams[3]).packet.secondaries.size(), 1u);
    // A primary packet too big on its own still goes, without copies, and is counted.
    const Bytes big = sender.send(ifpNumber(4, 100));
    const UdptlParseResult parsed = parseUdptlPacket(big);
    ASSERT_TRUE(parsed.ok());
    EXPECT_TRUE(parsed.packet.secondaries.empty());
    EXPECT_EQ(sender.stats().oversize, 1u);
}

TEST(UdptlSessionTest, FecRebuildsOneLostPacketPerGroup) {
    UdptlSession sender(fec(3, 3));
    UdptlSession receiver(fec(3, 3));
    const auto datagrams = sendNumbered(sender, 30);
    const UdptlParseResult tenth = parseUdptlPacket(datagrams[10]);
    ASSERT_TRUE(tenth.ok());
    EXPECT_EQ(tenth.packet.recovery, UdptlRecoveryKind::kFec);
    EXPECT_EQ(tenth.packet.fecSpan, 3u);
    EXPECT_EQ(tenth.packet.fecEntries.size(), 3u);
    // Packets 10 and 14 fall in different parity groups (10 = 1 mod 3, 14 = 2 mod 3).
    const auto delivered = receiveIndexes(receiver, datagrams, allBut(30, {10, 14}));
    ASSERT_EQ(delivered.size(), 30u);
    for (int n = 0; n < 30; ++n) {
        EXPECT_EQ(delivered[n].sequence, n);
        EXPECT_EQ(delivered[n].ifp, ifpNumber(n)) << n;
    }
    EXPECT_TRUE(delivered[10].recovered());
    EXPECT_EQ(receiver.stats().recoveredFec, 2u);
    EXPECT_EQ(receiver.stats().lost, 0u);
}

TEST(UdptlSessionTest, FecGivesUpAPacketOnceNoLaterParityCanRebuildIt) {
    UdptlSession sender(fec(3, 1));  // every datagram: the XOR of the 3 packets before it
    UdptlSession receiver(fec(3, 1));
    const auto datagrams = sendNumbered(sender, 24);
    // A burst of six: 16 sees three of its group missing, 17 two, 18 only 15, which it
    // rebuilds; by then 10..14 are more than 3 packets behind the newest and given up.
    const auto delivered =
        receiveIndexes(receiver, datagrams, allBut(24, {10, 11, 12, 13, 14, 15}));
    std::vector<int> expected;
    for (int n = 0; n < 24; ++n) {
        if (n < 10 || n > 14) expected.push_back(n);
    }
    EXPECT_EQ(sequences(delivered), expected);
    EXPECT_EQ(receiver.stats().lost, 5u);
    EXPECT_EQ(receiver.stats().recoveredFec, 1u);
    for (const ReceivedIfp& r : delivered) EXPECT_EQ(r.ifp, ifpNumber(r.sequence));
}

TEST(UdptlSessionTest, FecBringsAShorterPacketBackZeroPadded) {
    // T.38 parity carries no lengths: a packet shorter than the longest of its group comes
    // back as long as that one, its end filled with zero octets.
    UdptlSession sender(fec(2, 1));
    UdptlSession receiver(fec(2, 1));
    std::vector<Bytes> datagrams;
    datagrams.push_back(sender.send(ifpNumber(0, 6)));
    datagrams.push_back(sender.send(ifpNumber(1, 3)));
    datagrams.push_back(sender.send(ifpNumber(2, 6)));  // parity over 0 and 1
    const auto delivered = receiveIndexes(receiver, datagrams, {0, 2});
    ASSERT_EQ(sequences(delivered), (std::vector<int>{0, 1, 2}));
    Bytes padded = ifpNumber(1, 3);
    padded.resize(6, 0);
    EXPECT_EQ(delivered[1].ifp, padded);
}

TEST(UdptlSessionTest, DuplicatesAreDroppedAndCounted) {
    UdptlSession sender(redundancy(1));
    UdptlSession receiver(redundancy(1));
    const auto datagrams = sendNumbered(sender, 4);
    const auto delivered = receiveIndexes(receiver, datagrams, {0, 1, 1, 2, 0, 3, 3});
    EXPECT_EQ(sequences(delivered), (std::vector<int>{0, 1, 2, 3}));
    EXPECT_EQ(receiver.stats().duplicates, 3u);
    EXPECT_EQ(receiver.stats().received, 7u);
}

TEST(UdptlSessionTest, AReorderedPacketIsTakenFromTheCopyInItsSuccessor) {
    UdptlSession sender(redundancy(2));
    UdptlSession receiver(redundancy(2));
    const auto datagrams = sendNumbered(sender, 4);
    const auto delivered = receiveIndexes(receiver, datagrams, {0, 2, 1, 3});
    EXPECT_EQ(sequences(delivered), (std::vector<int>{0, 1, 2, 3}));
    EXPECT_EQ(receiver.stats().recoveredRedundancy, 1u);
    EXPECT_EQ(receiver.stats().duplicates, 1u);  // the primary of 1, arriving after its copy
}

TEST(UdptlSessionTest, WithoutErrorCorrectionReorderingNeedsAHold) {
    {
        UdptlSession sender(noErrorCorrection());
        UdptlSession receiver(noErrorCorrection());
        const auto datagrams = sendNumbered(sender, 4);
        const auto delivered = receiveIndexes(receiver, datagrams, {0, 2, 1, 3});
        EXPECT_EQ(sequences(delivered), (std::vector<int>{0, 2, 3}));
        EXPECT_EQ(receiver.stats().lost, 1u);
        EXPECT_EQ(receiver.stats().late, 1u);
    }
    {
        UdptlSession sender(noErrorCorrection());
        UdptlOptions patient = noErrorCorrection();
        patient.reorderHoldPackets = 2;
        UdptlSession receiver(patient);
        const auto datagrams = sendNumbered(sender, 6);
        const auto delivered = receiveIndexes(receiver, datagrams, {0, 2, 3, 1, 5, 4});
        EXPECT_EQ(sequences(delivered), (std::vector<int>{0, 1, 2, 3, 4, 5}));
        EXPECT_EQ(receiver.stats().lost, 0u);
    }
}

TEST(UdptlSessionTest, TicksReleasePacketsHeldBehindAGap) {
    UdptlSession sender(noErrorCorrection());
    UdptlOptions patient = noErrorCorrection();
    patient.reorderHoldPackets = 4;
    patient.maxHoldTicks = 3;
    UdptlSession receiver(patient);
    const auto datagrams = sendNumbered(sender, 4);
    auto delivered = receiveIndexes(receiver, datagrams, {0, 2, 3});
    EXPECT_EQ(sequences(delivered), std::vector<int>{0});
    receiver.tick(delivered);
    receiver.tick(delivered);
    EXPECT_EQ(sequences(delivered), std::vector<int>{0});
    receiver.tick(delivered);
    EXPECT_EQ(sequences(delivered), (std::vector<int>{0, 2, 3}));
    EXPECT_EQ(receiver.stats().lost, 1u);
    // Nothing held: ticks change nothing.
    for (int i = 0; i < 10; ++i) receiver.tick(delivered);
    EXPECT_EQ(delivered.size(), 3u);
}

TEST(UdptlSessionTest, SequenceNumbersWrap) {
    UdptlSession sender(redundancy(3), 65531);
    UdptlSession receiver(redundancy(3));
    const auto datagrams = sendNumbered(sender, 12);
    EXPECT_EQ(parseUdptlPacket(datagrams[4]).packet.sequence, 65535);
    EXPECT_EQ(parseUdptlPacket(datagrams[5]).packet.sequence, 0);
    // Lose 65535 and 0, duplicate one across the wrap, swap two after it.
    const auto delivered = receiveIndexes(receiver, datagrams, {0, 1, 2, 3, 6, 3, 8, 7, 9, 10, 11});
    std::vector<int> expected = {65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3, 4, 5, 6};
    EXPECT_EQ(sequences(delivered), expected);
    for (std::size_t i = 0; i < delivered.size(); ++i) {
        EXPECT_EQ(delivered[i].ifp, ifpNumber(static_cast<int>(i)));
    }
    EXPECT_EQ(receiver.stats().lost, 0u);
}

TEST(UdptlSessionTest, AFarJumpIsANewStream) {
    UdptlSession first(redundancy(1));
    UdptlSession second(redundancy(1), 30000);
    UdptlSession receiver(redundancy(1));
    std::vector<ReceivedIfp> delivered;
    for (int n = 0; n < 3; ++n) receiver.receive(first.send(ifpNumber(n)), delivered);
    for (int n = 0; n < 3; ++n) receiver.receive(second.send(ifpNumber(100 + n)), delivered);
    EXPECT_EQ(sequences(delivered), (std::vector<int>{0, 1, 2, 30000, 30001, 30002}));
    EXPECT_EQ(receiver.stats().restarts, 1u);
    EXPECT_EQ(receiver.stats().lost, 0u);
}

TEST(UdptlSessionTest, MalformedDatagramsChangeNothing) {
    UdptlSession sender(redundancy(1));
    UdptlSession receiver(redundancy(1));
    std::vector<ReceivedIfp> delivered;
    EXPECT_EQ(receiver.receive(Bytes{0x00, 0x01, 0x05}, delivered), UdptlParseError::kTruncated);
    EXPECT_EQ(receiver.receive(Bytes{}, delivered), UdptlParseError::kTruncated);
    EXPECT_TRUE(delivered.empty());
    EXPECT_EQ(receiver.stats().malformed, 2u);
    receiver.receive(sender.send(ifpNumber(0)), delivered);
    EXPECT_EQ(sequences(delivered), std::vector<int>{0});
}

TEST(UdptlSessionTest, RefusesOptionsOutOfRange) {
    UdptlOptions o = redundancy(17);
    EXPECT_NE(validateUdptlOptions(o).find("redundancyDepth"), std::string::npos);
    EXPECT_THROW(UdptlSession{o}, std::invalid_argument);
    o = fec(9, 8);
    EXPECT_NE(validateUdptlOptions(o).find("fecSpan"), std::string::npos);
    o = redundancy(3);
    o.maxDatagramBytes = 40;
    EXPECT_NE(validateUdptlOptions(o).find("maxDatagramBytes"), std::string::npos);
    o = redundancy(3);
    o.maxHoldTicks = 0;
    EXPECT_NE(validateUdptlOptions(o).find("maxHoldTicks"), std::string::npos);
    EXPECT_EQ(validateUdptlOptions(redundancy(3)), "");
    EXPECT_EQ(validateUdptlOptions(fec(8, 8)), "");
}

// 10% random loss over 3000 packets: with redundancy depth 3, exactly the packets whose own
// datagram and the next three were all lost are missing, and nothing else.
TEST(UdptlSessionTest, RandomLossWithRedundancyLosesOnlyLongBursts) {
    constexpr int kPackets = 3000;
    UdptlSession sender(redundancy(3));
    UdptlSession receiver(redundancy(3));
    const auto datagrams = sendNumbered(sender, kPackets, 20);
    std::mt19937 random(10);
    std::bernoulli_distribution drop(0.10);
    std::set<int> dropped;
    for (int n = 1; n < kPackets - 1; ++n) {  // the first and the last arrive
        if (drop(random)) dropped.insert(n);
    }
    const auto delivered = receiveIndexes(receiver, datagrams, allBut(kPackets, dropped));
    std::vector<int> expected;
    for (int n = 0; n < kPackets; ++n) {
        bool gone = true;
        for (int k = n; k <= n + 3 && k < kPackets; ++k) gone = gone && dropped.contains(k);
        if (!gone) expected.push_back(n);
    }
    ASSERT_EQ(sequences(delivered), expected);
    for (const ReceivedIfp& r : delivered) ASSERT_EQ(r.ifp, ifpNumber(r.sequence, 20));
    EXPECT_EQ(receiver.stats().lost, static_cast<uint64_t>(kPackets) - expected.size());
    EXPECT_GT(receiver.stats().recoveredRedundancy, 200u);
}

// 10% random loss with FEC: whatever is delivered is in order, once, and intact (the packets
// have one length, so rebuilt ones are exact); most losses are rebuilt.
TEST(UdptlSessionTest, RandomLossWithFecDeliversOnlyIntactPacketsInOrder) {
    constexpr int kPackets = 3000;
    UdptlSession sender(fec(3, 3));
    UdptlSession receiver(fec(3, 3));
    const auto datagrams = sendNumbered(sender, kPackets, 20);
    std::mt19937 random(11);
    std::bernoulli_distribution drop(0.10);
    std::set<int> dropped;
    for (int n = 1; n < kPackets - 1; ++n) {
        if (drop(random)) dropped.insert(n);
    }
    auto delivered = receiveIndexes(receiver, datagrams, allBut(kPackets, dropped));
    for (int i = 0; i < 10; ++i) receiver.tick(delivered);  // the end of the stream
    int previous = -1;
    for (const ReceivedIfp& r : delivered) {
        ASSERT_GT(static_cast<int>(r.sequence), previous);
        previous = r.sequence;
        ASSERT_EQ(r.ifp, ifpNumber(r.sequence, 20));
    }
    EXPECT_EQ(receiver.stats().delivered + receiver.stats().lost, static_cast<uint64_t>(kPackets));
    EXPECT_GT(receiver.stats().recoveredFec, dropped.size() / 2);
}

}  // namespace
}  // namespace faxgate::node::t38
