// RtpStream: the send side's numbering (sequence, timestamp, marker, SSRC), the receive
// side's filtering (payload type, size, malformed packets), the G.711 round trip through the
// jitter buffer, and SSRC changes (a restarted stream is followed, stray packets are not).
#include "faxnode/rtp/rtp_stream.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace faxgate::node::rtp {
namespace {

using Frame = std::array<int16_t, kSamplesPerFrame>;
using Packet = std::vector<uint8_t>;

Frame tone(int offset) {
    Frame f{};
    for (std::size_t i = 0; i < f.size(); ++i) {
        f[i] = static_cast<int16_t>(6000 * std::sin(0.3 * static_cast<double>(i + offset)));
    }
    return f;
}

Packet pack(RtpStream& stream, const Frame& samples) {
    Packet packet(RtpStream::kMaxPacketBytes);
    const std::size_t bytes = stream.packFrame(
        samples, std::span<uint8_t, RtpStream::kMaxPacketBytes>(packet.data(), packet.size()));
    packet.resize(bytes);
    return packet;
}

bool near(const Frame& a, const Frame& b) {
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::abs(a[i] - b[i]) > std::abs(a[i]) / 32 + 16) return false;
    }
    return true;
}

JitterBufferOptions smallDelay() { return {2, 8}; }

TEST(RtpStreamTest, SendSideNumbersPacketsAsRfc3550Asks) {
    RtpStream stream(G711Law::kALaw, {0xcafe0001, 65534, 4294967200u});
    std::vector<RtpHeader> headers;
    for (int i = 0; i < 3; ++i) {
        const Packet packet = pack(stream, tone(i));
        ASSERT_EQ(packet.size(), 172u);
        const RtpParseResult parsed = parseRtpPacket(packet);
        ASSERT_TRUE(parsed.ok());
        headers.push_back(parsed.packet.header);
        EXPECT_EQ(parsed.packet.payload.size(), kFrameBytes);
    }
    EXPECT_TRUE(headers[0].marker);
    EXPECT_FALSE(headers[1].marker);
    EXPECT_FALSE(headers[2].marker);
    EXPECT_EQ(headers[0].payloadType, kPayloadTypePcma);
    EXPECT_EQ(headers[0].ssrc, 0xcafe0001u);
    EXPECT_EQ(headers[2].ssrc, 0xcafe0001u);
    EXPECT_EQ(headers[0].sequence, 65534);
    EXPECT_EQ(headers[1].sequence, 65535);
    EXPECT_EQ(headers[2].sequence, 0);  // wraps
    EXPECT_EQ(headers[0].timestamp, 4294967200u);
    EXPECT_EQ(headers[1].timestamp, 4294967200u + 160);
    EXPECT_EQ(headers[2].timestamp, 224u);  // wraps too
    EXPECT_EQ(stream.stats().packetsSent, 3u);
}

TEST(RtpStreamTest, RandomOriginsDiffer) {
    const RtpSendOrigin a = RtpSendOrigin::random();
    const RtpSendOrigin b = RtpSendOrigin::random();
    EXPECT_FALSE(a.ssrc == b.ssrc && a.sequence == b.sequence && a.timestamp == b.timestamp);
}

TEST(RtpStreamTest, FramesCrossAsG711ThroughTheJitterBuffer) {
    for (G711Law law : {G711Law::kMuLaw, G711Law::kALaw}) {
        RtpStream sender(law, {1, 100, 0});
        RtpStream receiver(law, {2, 200, 0}, smallDelay());
        Frame out{};
        for (int i = 0; i < 5; ++i) receiver.receivePacket(pack(sender, tone(i)));
        EXPECT_EQ(receiver.playoutFrame(out), JitterBuffer::Playout::kWaiting);
        EXPECT_EQ(out, Frame{});
        EXPECT_EQ(receiver.playoutFrame(out), JitterBuffer::Playout::kWaiting);
        for (int i = 0; i < 5; ++i) {
            ASSERT_EQ(receiver.playoutFrame(out), JitterBuffer::Playout::kFrame);
            EXPECT_TRUE(near(tone(i), out)) << "frame " << i;
        }
        EXPECT_EQ(receiver.playoutFrame(out), JitterBuffer::Playout::kMissing);
        EXPECT_EQ(out, Frame{});
        EXPECT_EQ(receiver.receiveSsrc(), 1u);
    }
}

TEST(RtpStreamTest, UnplayablePacketsAreCountedAndDropped) {
    RtpStream receiver(G711Law::kALaw, {2, 0, 0}, smallDelay());
    RtpStream pcmuSender(G711Law::kMuLaw, {1, 0, 0});
    receiver.receivePacket(pack(pcmuSender, tone(0)));  // the other law
    RtpHeader header;
    header.payloadType = kPayloadTypePcma;
    const std::vector<uint8_t> tenMs(80, 0xd5);
    Packet shortPacket(rtpPacketBytes(header, {{}, tenMs, 0}));
    buildRtpPacket(header, {{}, tenMs, 0}, shortPacket);
    receiver.receivePacket(shortPacket);         // 10 ms: not our packetisation
    receiver.receivePacket(Packet{0x80, 0x08});  // truncated
    receiver.receivePacket(Packet{});            // empty

    const RtpStreamStats stats = receiver.stats();
    EXPECT_EQ(stats.packetsReceived, 4u);
    EXPECT_EQ(stats.wrongPayloadType, 1u);
    EXPECT_EQ(stats.wrongSize, 1u);
    EXPECT_EQ(stats.malformed, 2u);
    EXPECT_EQ(stats.jitter.stored, 0u);
    EXPECT_FALSE(receiver.receiveSsrc().has_value());
    Frame out{};
    EXPECT_EQ(receiver.playoutFrame(out), JitterBuffer::Playout::kWaiting);
}

TEST(RtpStreamTest, RestartedStreamWithANewSsrcIsFollowed) {
    RtpStream receiver(G711Law::kALaw, {9, 0, 0}, smallDelay());
    RtpStream before(G711Law::kALaw, {0xaaaa, 1000, 0});
    RtpStream after(G711Law::kALaw, {0xbbbb, 30000, 0});  // after a re-INVITE
    Frame out{};
    for (int i = 0; i < 4; ++i) {
        receiver.receivePacket(pack(before, tone(i)));
        receiver.playoutFrame(out);
    }
    EXPECT_EQ(receiver.receiveSsrc(), 0xaaaau);

    receiver.receivePacket(pack(after, tone(100)));
    EXPECT_EQ(receiver.receiveSsrc(), 0xaaaau);  // one packet is not enough
    receiver.receivePacket(pack(after, tone(101)));
    EXPECT_EQ(receiver.receiveSsrc(), 0xbbbbu);
    EXPECT_EQ(receiver.stats().ssrcChanges, 1u);
    // The old stream's buffered frames play out, the new stream's follow with no gap, from
    // its first packet on.
    for (int expected : {2, 3, 100, 101}) {
        ASSERT_EQ(receiver.playoutFrame(out), JitterBuffer::Playout::kFrame) << expected;
        EXPECT_TRUE(near(tone(expected), out)) << expected;
    }
    EXPECT_EQ(receiver.stats().jitter.lost, 0u);

    // Stray packets of the old stream, even in sequence, do not switch back.
    receiver.receivePacket(pack(before, tone(4)));
    receiver.receivePacket(pack(before, tone(5)));
    EXPECT_EQ(receiver.receiveSsrc(), 0xbbbbu);
    EXPECT_EQ(receiver.stats().ssrcChanges, 1u);
}

TEST(RtpStreamTest, NewSsrcWhosePacketsArriveOutOfOrderKeepsThemAll) {
    RtpStream receiver(G711Law::kALaw, {9, 0, 0}, smallDelay());
    RtpStream before(G711Law::kALaw, {0xaaaa, 1000, 0});
    RtpStream after(G711Law::kALaw, {0xbbbb, 65535, 0});  // numbering wraps at the switch
    Frame out{};
    receiver.receivePacket(pack(before, tone(0)));
    receiver.receivePacket(pack(before, tone(1)));
    const Packet first = pack(after, tone(10));
    const Packet second = pack(after, tone(11));
    const Packet third = pack(after, tone(12));
    receiver.receivePacket(third);
    receiver.receivePacket(first);  // confirms: the switch starts at the earliest, 65535
    receiver.receivePacket(second);
    EXPECT_EQ(receiver.receiveSsrc(), 0xbbbbu);
    receiver.playoutFrame(out);
    receiver.playoutFrame(out);
    for (int expected : {0, 1, 10, 11, 12}) {
        ASSERT_EQ(receiver.playoutFrame(out), JitterBuffer::Playout::kFrame) << expected;
        EXPECT_TRUE(near(tone(expected), out)) << expected;
    }
}

TEST(RtpStreamTest, SingleForeignPacketDoesNotDisturbTheStream) {
    RtpStream receiver(G711Law::kALaw, {9, 0, 0}, smallDelay());
    RtpStream ours(G711Law::kALaw, {0xaaaa, 5, 0});
    RtpStream stray(G711Law::kALaw, {0xcccc, 7, 0});
    // Two stray packets whose numbers are too far apart to be one stream's start.
    const Packet strayFirst = pack(stray, tone(50));
    for (int i = 0; i <= RtpStream::kCandidateWindow; ++i) pack(stray, tone(51));
    const Packet strayThird = pack(stray, tone(52));
    receiver.receivePacket(pack(ours, tone(0)));
    receiver.receivePacket(strayFirst);
    receiver.receivePacket(pack(ours, tone(1)));
    receiver.receivePacket(strayThird);
    Frame out{};
    receiver.playoutFrame(out);
    receiver.playoutFrame(out);
    ASSERT_EQ(receiver.playoutFrame(out), JitterBuffer::Playout::kFrame);
    EXPECT_TRUE(near(tone(0), out));
    ASSERT_EQ(receiver.playoutFrame(out), JitterBuffer::Playout::kFrame);
    EXPECT_TRUE(near(tone(1), out));
    EXPECT_EQ(receiver.receiveSsrc(), 0xaaaau);
    EXPECT_EQ(receiver.stats().foreignSsrc, 2u);
}

}  // namespace
}  // namespace faxgate::node::rtp
