// RTP packet parsing and building: round trips of every header field, and each kind of
// malformed datagram the parser must refuse without reading past its end.
#include "faxnode/rtp/rtp_packet.h"

#include <gtest/gtest.h>

#include <vector>

namespace faxgate::node::rtp {
namespace {

std::vector<uint8_t> build(const RtpHeader& header, const RtpBody& body) {
    std::vector<uint8_t> out(rtpPacketBytes(header, body));
    const std::size_t bytes = buildRtpPacket(header, body, out);
    EXPECT_EQ(bytes, out.size());
    return out;
}

TEST(RtpPacketTest, PlainPacketRoundTrips) {
    RtpHeader header;
    header.marker = true;
    header.payloadType = 8;
    header.sequence = 0xfffe;
    header.timestamp = 0xdeadbeef;
    header.ssrc = 0x01020304;
    const std::vector<uint8_t> payload(160, 0xd5);
    const std::vector<uint8_t> packet = build(header, {{}, payload, 0});

    ASSERT_EQ(packet.size(), 172u);
    EXPECT_EQ(packet[0], 0x80);  // version 2, no P, X, CC
    EXPECT_EQ(packet[1], 0x88);  // marker + PT 8
    EXPECT_EQ(packet[2], 0xff);
    EXPECT_EQ(packet[3], 0xfe);
    const RtpParseResult parsed = parseRtpPacket(packet);
    ASSERT_TRUE(parsed.ok()) << describe(parsed.error);
    const RtpHeader& h = parsed.packet.header;
    EXPECT_EQ(h.version, 2);
    EXPECT_TRUE(h.marker);
    EXPECT_FALSE(h.padding);
    EXPECT_FALSE(h.extension);
    EXPECT_EQ(h.payloadType, 8);
    EXPECT_EQ(h.sequence, 0xfffe);
    EXPECT_EQ(h.timestamp, 0xdeadbeefu);
    EXPECT_EQ(h.ssrc, 0x01020304u);
    EXPECT_EQ(h.csrcCount, 0);
    EXPECT_EQ(std::vector<uint8_t>(parsed.packet.payload.begin(), parsed.packet.payload.end()),
              payload);
}

TEST(RtpPacketTest, CsrcExtensionAndPaddingRoundTrip) {
    RtpHeader header;
    header.payloadType = 0;
    header.sequence = 7;
    header.timestamp = 160;
    header.ssrc = 42;
    header.csrcCount = 3;
    header.csrc[0] = 0xa;
    header.csrc[1] = 0xb;
    header.csrc[2] = 0xffffffff;
    header.extension = true;
    header.extensionProfile = 0xbede;
    const std::vector<uint8_t> extension = {1, 2, 3, 4, 5, 6, 7, 8};
    const std::vector<uint8_t> payload = {9, 9, 9};
    const std::vector<uint8_t> packet = build(header, {extension, payload, 5});

    EXPECT_EQ(packet.size(), 12u + 12 + 4 + 8 + 3 + 5);
    const RtpParseResult parsed = parseRtpPacket(packet);
    ASSERT_TRUE(parsed.ok()) << describe(parsed.error);
    const RtpPacketView& p = parsed.packet;
    EXPECT_TRUE(p.header.padding);
    EXPECT_TRUE(p.header.extension);
    EXPECT_EQ(p.header.csrcCount, 3);
    EXPECT_EQ(p.header.csrc[0], 0xau);
    EXPECT_EQ(p.header.csrc[1], 0xbu);
    EXPECT_EQ(p.header.csrc[2], 0xffffffffu);
    EXPECT_EQ(p.header.extensionProfile, 0xbede);
    EXPECT_EQ(std::vector<uint8_t>(p.extensionData.begin(), p.extensionData.end()), extension);
    EXPECT_EQ(std::vector<uint8_t>(p.payload.begin(), p.payload.end()), payload);
    EXPECT_EQ(p.paddingBytes, 5);
}

TEST(RtpPacketTest, BuildRefusesWhatCannotBeAPacket) {
    std::vector<uint8_t> out(2000);
    RtpHeader header;
    const std::vector<uint8_t> payload(160);
    header.csrcCount = 16;
    EXPECT_EQ(buildRtpPacket(header, {{}, payload, 0}, out), 0u);
    header.csrcCount = 0;
    header.payloadType = 128;
    EXPECT_EQ(buildRtpPacket(header, {{}, payload, 0}, out), 0u);
    header.payloadType = 0;
    header.extension = true;
    const std::vector<uint8_t> notWords(6);
    EXPECT_EQ(buildRtpPacket(header, {notWords, payload, 0}, out), 0u);
    header.extension = false;
    std::vector<uint8_t> small(171);
    EXPECT_EQ(buildRtpPacket(header, {{}, payload, 0}, small), 0u);
    EXPECT_EQ(buildRtpPacket(header, {{}, payload, 0}, out), 172u);
}

TEST(RtpPacketTest, TruncatedHeaderIsRefused) {
    RtpHeader header;
    const std::vector<uint8_t> packet = build(header, {});
    for (std::size_t size = 0; size < 12; ++size) {
        EXPECT_EQ(parseRtpPacket(std::span(packet.data(), size)).error,
                  RtpParseError::kTruncatedHeader)
            << size;
    }
    EXPECT_TRUE(parseRtpPacket(packet).ok());  // a header alone is a packet with no payload
    EXPECT_TRUE(parseRtpPacket(packet).packet.payload.empty());
}

TEST(RtpPacketTest, VersionOtherThanTwoIsRefused) {
    for (uint8_t version : {0, 1, 3}) {
        RtpHeader header;
        header.version = version;
        EXPECT_EQ(parseRtpPacket(build(header, {})).error, RtpParseError::kBadVersion);
    }
}

TEST(RtpPacketTest, CsrcCountBeyondTheDatagramIsRefused) {
    RtpHeader header;
    header.csrcCount = 4;
    std::vector<uint8_t> packet = build(header, {});
    // 4 CSRCs need 16 bytes after the fixed header; one byte short is refused.
    EXPECT_TRUE(parseRtpPacket(packet).ok());
    packet.pop_back();
    EXPECT_EQ(parseRtpPacket(packet).error, RtpParseError::kCsrcBeyondEnd);
    // The maximum count on a bare fixed header.
    std::vector<uint8_t> bare = build(RtpHeader{}, {});
    bare[0] |= 0x0f;
    EXPECT_EQ(parseRtpPacket(bare).error, RtpParseError::kCsrcBeyondEnd);
}

TEST(RtpPacketTest, ExtensionBeyondTheDatagramIsRefused) {
    RtpHeader header;
    header.extension = true;
    const std::vector<uint8_t> words(8, 1);
    std::vector<uint8_t> packet = build(header, {words, {}, 0});
    EXPECT_TRUE(parseRtpPacket(packet).ok());
    // Announced words missing.
    std::vector<uint8_t> cut(packet.begin(), packet.end() - 1);
    EXPECT_EQ(parseRtpPacket(cut).error, RtpParseError::kExtensionBeyondEnd);
    // The extension header itself missing.
    std::vector<uint8_t> bare = build(RtpHeader{}, {});
    bare[0] |= 0x10;
    bare.push_back(0);
    bare.push_back(0);
    EXPECT_EQ(parseRtpPacket(bare).error, RtpParseError::kExtensionBeyondEnd);
    // A length field of 0xffff on a short datagram.
    packet[14] = 0xff;
    packet[15] = 0xff;
    EXPECT_EQ(parseRtpPacket(packet).error, RtpParseError::kExtensionBeyondEnd);
}

TEST(RtpPacketTest, PaddingBeyondTheHeadersIsRefused) {
    RtpHeader header;
    const std::vector<uint8_t> payload(10, 7);
    std::vector<uint8_t> packet = build(header, {{}, payload, 4});
    ASSERT_TRUE(parseRtpPacket(packet).ok());
    EXPECT_EQ(parseRtpPacket(packet).packet.payload.size(), 10u);
    // Padding that eats the whole payload is allowed, one byte more reaches into the header.
    packet.back() = 14;
    ASSERT_TRUE(parseRtpPacket(packet).ok());
    EXPECT_TRUE(parseRtpPacket(packet).packet.payload.empty());
    packet.back() = 15;
    EXPECT_EQ(parseRtpPacket(packet).error, RtpParseError::kPaddingBeyondEnd);
    packet.back() = 0;  // the count includes itself, so 0 is impossible
    EXPECT_EQ(parseRtpPacket(packet).error, RtpParseError::kPaddingBeyondEnd);
    // P set on a header with nothing after it: the count byte would be the SSRC's last byte.
    std::vector<uint8_t> bare = build(RtpHeader{}, {});
    bare[0] |= 0x20;
    bare.back() = 1;
    EXPECT_EQ(parseRtpPacket(bare).error, RtpParseError::kPaddingBeyondEnd);
}

TEST(RtpPacketTest, EveryErrorHasWords) {
    for (RtpParseError e : {RtpParseError::kNone, RtpParseError::kTruncatedHeader,
                            RtpParseError::kBadVersion, RtpParseError::kCsrcBeyondEnd,
                            RtpParseError::kExtensionBeyondEnd, RtpParseError::kPaddingBeyondEnd}) {
        EXPECT_STRNE(describe(e), "unknown RTP parse error");
    }
}

}  // namespace
}  // namespace faxgate::node::rtp
