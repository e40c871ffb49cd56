// UDPTL packet parsing and encoding on hand-built byte strings: a packet laid out by hand
// from T.38 clause 9 (sequence number, a V.21 HDLC data IFP packet, two secondary
// indicator packets), an FEC packet, every form of the PER length determinant including
// fragments, and each malformed shape the parser must refuse.
#include "faxnode/t38/udptl_packet.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace faxgate::node::t38 {
namespace {

using Bytes = std::vector<uint8_t>;

UdptlParseError parseError(const Bytes& datagram) { return parseUdptlPacket(datagram).error; }

// A packet as a T.38 gateway sends it during phase B: UDPTL sequence number 5; the primary
// IFP packet is t30-data v21 (first octet 0xc0: data field present, t30-data, value 0) with
// one hdlc-data field of 3 octets (field octet 0x80, SIZE(1..65535) length - 1 in 16 bits,
// then ff 13 80); redundancy carries the two packets before it, the v21-preamble (0x06) and
// CED (0x04) indicators, newest first.
const Bytes kCapturedPacket = {
    0x00, 0x05,                                            // seq-number 5
    0x08, 0xc0, 0x01, 0x80, 0x00, 0x02, 0xff, 0x13, 0x80,  // primary: 8 octets
    0x00,                                                  // secondary-ifp-packets
    0x02,                                                  // two of them
    0x01, 0x06,                                            // seq 4: v21-preamble
    0x01, 0x04,                                            // seq 3: CED
};

TEST(UdptlPacketTest, ParsesAPacketBuiltFromTheStandard) {
    const UdptlParseResult result = parseUdptlPacket(kCapturedPacket);
    ASSERT_TRUE(result.ok()) << describe(result.error);
    const UdptlPacket& p = result.packet;
    EXPECT_EQ(p.sequence, 5);
    EXPECT_EQ(p.primary, (Bytes{0xc0, 0x01, 0x80, 0x00, 0x02, 0xff, 0x13, 0x80}));
    EXPECT_EQ(p.recovery, UdptlRecoveryKind::kSecondaryPackets);
    ASSERT_EQ(p.secondaries.size(), 2u);
    EXPECT_EQ(p.secondaries[0], Bytes{0x06});
    EXPECT_EQ(p.secondaries[1], Bytes{0x04});
    EXPECT_TRUE(p.fecEntries.empty());
    EXPECT_EQ(encodeUdptlPacket(p), kCapturedPacket);
    EXPECT_EQ(udptlPacketBytes(p), kCapturedPacket.size());
}

TEST(UdptlPacketTest, ParsesAnFecPacket) {
    // seq 0x0100, primary no-signal indicator (0x00), fec-info: fec-npackets 3 (one octet),
    // two entries of 2 and 1 octets.
    const Bytes datagram = {0x01, 0x00, 0x01, 0x00, 0x80, 0x01, 0x03,
                            0x02, 0x02, 0xaa, 0xbb, 0x01, 0xcc};
    const UdptlParseResult result = parseUdptlPacket(datagram);
    ASSERT_TRUE(result.ok()) << describe(result.error);
    EXPECT_EQ(result.packet.sequence, 0x0100);
    EXPECT_EQ(result.packet.primary, Bytes{0x00});
    EXPECT_EQ(result.packet.recovery, UdptlRecoveryKind::kFec);
    EXPECT_EQ(result.packet.fecSpan, 3u);
    ASSERT_EQ(result.packet.fecEntries.size(), 2u);
    EXPECT_EQ(result.packet.fecEntries[0], (Bytes{0xaa, 0xbb}));
    EXPECT_EQ(result.packet.fecEntries[1], Bytes{0xcc});
    EXPECT_TRUE(result.packet.secondaries.empty());
    EXPECT_EQ(encodeUdptlPacket(result.packet), datagram);
}

TEST(UdptlPacketTest, FecSpanIsAMinimalTwosComplementInteger) {
    UdptlPacket p;
    p.primary = {0x00};
    p.recovery = UdptlRecoveryKind::kFec;
    const std::vector<std::pair<uint32_t, Bytes>> cases = {
        {0, {0x01, 0x00}},
        {127, {0x01, 0x7f}},
        {128, {0x02, 0x00, 0x80}},  // 0x80 alone would be negative
        {32767, {0x02, 0x7f, 0xff}},
        {32768, {0x03, 0x00, 0x80, 0x00}},
        {0x7fffffff, {0x04, 0x7f, 0xff, 0xff, 0xff}},
    };
    for (const auto& [span, encoded] : cases) {
        p.fecSpan = span;
        const Bytes datagram = encodeUdptlPacket(p);
        Bytes expected = {0x00, 0x00, 0x01, 0x00, 0x80};
        expected.insert(expected.end(), encoded.begin(), encoded.end());
        expected.push_back(0x00);  // no entries
        EXPECT_EQ(datagram, expected) << span;
        const UdptlParseResult back = parseUdptlPacket(datagram);
        ASSERT_TRUE(back.ok()) << span << ": " << describe(back.error);
        EXPECT_EQ(back.packet.fecSpan, span);
    }
    p.fecSpan = 0x80000000u;  // would need 5 octets: not a packet count anyone sends
    EXPECT_TRUE(encodeUdptlPacket(p).empty());
}

TEST(UdptlPacketTest, LengthDeterminantForms) {
    EXPECT_EQ(lengthDeterminantBytes(0), 1u);
    EXPECT_EQ(lengthDeterminantBytes(127), 1u);
    EXPECT_EQ(lengthDeterminantBytes(128), 2u);
    EXPECT_EQ(lengthDeterminantBytes(16383), 2u);
    EXPECT_EQ(lengthDeterminantBytes(16384), 2u);  // one fragment and a final 0
    EXPECT_EQ(lengthDeterminantBytes(16384 + 128), 3u);
    EXPECT_EQ(lengthDeterminantBytes(65536), 2u);
    EXPECT_EQ(lengthDeterminantBytes(65536 + 16384 * 2 + 5), 3u);

    // Primary packets whose length needs each form; the octet values say where they are.
    struct Case {
        std::size_t size;
        std::vector<std::pair<std::size_t, Bytes>> parts;  // (offset of data, header octets)
    };
    const std::vector<Case> cases = {
        {1, {{0, {0x01}}}},
        {127, {{0, {0x7f}}}},
        {128, {{0, {0x80, 0x80}}}},
        {300, {{0, {0x81, 0x2c}}}},
        {16383, {{0, {0xbf, 0xff}}}},
        {16384, {{0, {0xc1}}, {16384, {0x00}}}},
        {16385, {{0, {0xc1}}, {16384, {0x01}}}},
        {3 * 16384 + 200, {{0, {0xc3}}, {3 * 16384, {0x80, 0xc8}}}},
        {65536, {{0, {0xc4}}, {65536, {0x00}}}},
        {65536 + 16384 + 7, {{0, {0xc4}}, {65536, {0xc1}}, {65536 + 16384, {0x07}}}},
    };
    for (const Case& c : cases) {
        UdptlPacket p;
        p.sequence = 0xfffe;
        for (std::size_t i = 0; i < c.size; ++i)
            p.primary.push_back(static_cast<uint8_t>(i * 7 + 1));
        Bytes expected = {0xff, 0xfe};
        for (std::size_t part = 0; part < c.parts.size(); ++part) {
            const auto& [offset, header] = c.parts[part];
            const std::size_t end = part + 1 < c.parts.size() ? c.parts[part + 1].first : c.size;
            expected.insert(expected.end(), header.begin(), header.end());
            expected.insert(expected.end(), p.primary.begin() + static_cast<std::ptrdiff_t>(offset),
                            p.primary.begin() + static_cast<std::ptrdiff_t>(end));
        }
        expected.push_back(0x00);  // secondary-ifp-packets
        expected.push_back(0x00);  // none
        const Bytes datagram = encodeUdptlPacket(p);
        EXPECT_EQ(datagram, expected) << c.size;
        EXPECT_EQ(udptlPacketBytes(p), expected.size()) << c.size;
        const UdptlParseResult back = parseUdptlPacket(datagram);
        ASSERT_TRUE(back.ok()) << c.size << ": " << describe(back.error);
        EXPECT_EQ(back.packet, p) << c.size;
    }
}

TEST(UdptlPacketTest, FragmentedCountOfSecondaryPackets) {
    // 16384 + 3 secondary packets: the count comes as a fragment of 16K items, the items,
    // then a final count of 3 and those 3 items.
    UdptlPacket p;
    p.primary = {0x04};
    p.secondaries.assign(16384 + 3, Bytes{0x06});
    const Bytes datagram = encodeUdptlPacket(p);
    ASSERT_EQ(datagram.size(), 2 + 2 + 1 + 1 + 16384 * 2 + 1 + 3 * 2);
    EXPECT_EQ(datagram[5], 0xc1);
    EXPECT_EQ(datagram[6 + 16384 * 2], 0x03);
    const UdptlParseResult back = parseUdptlPacket(datagram);
    ASSERT_TRUE(back.ok()) << describe(back.error);
    EXPECT_EQ(back.packet, p);
}

TEST(UdptlPacketTest, RefusesMalformedShapes) {
    EXPECT_EQ(parseError({}), UdptlParseError::kTruncated);
    EXPECT_EQ(parseError({0x00}), UdptlParseError::kTruncated);
    EXPECT_EQ(parseError({0x00, 0x01}), UdptlParseError::kTruncated);  // no primary
    EXPECT_EQ(parseError({0x00, 0x01, 0x03, 0xc0, 0x01}), UdptlParseError::kTruncated);
    EXPECT_EQ(parseError({0x00, 0x01, 0x01, 0x04}), UdptlParseError::kTruncated);  // no choice
    EXPECT_EQ(parseError({0x00, 0x01, 0x01, 0x04, 0x00}), UdptlParseError::kTruncated);  // count
    EXPECT_EQ(parseError({0x00, 0x01, 0x80}), UdptlParseError::kTruncated);  // half a length
    EXPECT_EQ(parseError({0x00, 0x01, 0x00, 0x00, 0x00}), UdptlParseError::kEmptyIfp);
    // 5 in the two-octet form, fragments of 0 and 5 times 16K.
    EXPECT_EQ(parseError({0x00, 0x01, 0x80, 0x05, 1, 2, 3, 4, 5, 0x00, 0x00}),
              UdptlParseError::kNonCanonicalLength);
    EXPECT_EQ(parseError({0x00, 0x01, 0xc0, 0x00, 0x00}), UdptlParseError::kNonCanonicalLength);
    EXPECT_EQ(parseError({0x00, 0x01, 0xc5, 0x00, 0x00}), UdptlParseError::kNonCanonicalLength);
    // A fragment announcing more octets than the datagram has.
    EXPECT_EQ(parseError({0x00, 0x01, 0xc1, 0x00, 0x00}), UdptlParseError::kTruncated);
    // A 16K fragment followed by another fragment: the first would have been 2 x 16K.
    {
        Bytes d = {0x00, 0x01, 0xc1};
        d.insert(d.end(), 16384, 0x11);
        d.push_back(0xc1);
        d.insert(d.end(), 16384, 0x22);
        d.insert(d.end(), {0x00, 0x00, 0x00});
        EXPECT_EQ(parseError(d), UdptlParseError::kNonCanonicalLength);
    }
    EXPECT_EQ(parseError({0x00, 0x01, 0x01, 0x04, 0x40, 0x00}),
              UdptlParseError::kBadRecoveryChoice);
    EXPECT_EQ(parseError({0x00, 0x01, 0x01, 0x04, 0x01, 0x00}),
              UdptlParseError::kBadRecoveryChoice);
    EXPECT_EQ(parseError({0x00, 0x01, 0x01, 0x04, 0x00, 0x02, 0x01, 0x06}),
              UdptlParseError::kTruncated);  // two secondaries announced, one present
    EXPECT_EQ(parseError({0x00, 0x01, 0x01, 0x04, 0x00, 0x01, 0x00}), UdptlParseError::kEmptyIfp);
    // fec-npackets of 0 octets, 5 octets, negative, with a needless leading zero.
    EXPECT_EQ(parseError({0x00, 0x01, 0x01, 0x04, 0x80, 0x00, 0x00}), UdptlParseError::kBadFecSpan);
    EXPECT_EQ(parseError({0x00, 0x01, 0x01, 0x04, 0x80, 0x05, 0, 0, 0, 0, 3, 0x00}),
              UdptlParseError::kBadFecSpan);
    EXPECT_EQ(parseError({0x00, 0x01, 0x01, 0x04, 0x80, 0x01, 0x83, 0x00}),
              UdptlParseError::kBadFecSpan);
    EXPECT_EQ(parseError({0x00, 0x01, 0x01, 0x04, 0x80, 0x02, 0x00, 0x03, 0x00}),
              UdptlParseError::kBadFecSpan);
    EXPECT_EQ(parseError({0x00, 0x01, 0x01, 0x04, 0x80, 0x01}), UdptlParseError::kTruncated);
    EXPECT_EQ(parseError({0x00, 0x01, 0x01, 0x04, 0x80, 0x01, 0x03, 0x01, 0x02, 0xaa}),
              UdptlParseError::kTruncated);  // an entry shorter than announced
    // One octet too many after a valid packet.
    Bytes trailing = kCapturedPacket;
    trailing.push_back(0x00);
    EXPECT_EQ(parseError(trailing), UdptlParseError::kTrailingBytes);
    // Every prefix of a valid packet is refused.
    for (std::size_t size = 0; size < kCapturedPacket.size(); ++size) {
        EXPECT_FALSE(
            parseUdptlPacket(Bytes(kCapturedPacket.begin(),
                                   kCapturedPacket.begin() + static_cast<std::ptrdiff_t>(size)))
                .ok())
            << size;
    }
}

TEST(UdptlPacketTest, EncoderRefusesEmptyIfpPackets) {
    UdptlPacket p;
    EXPECT_TRUE(encodeUdptlPacket(p).empty());
    p.primary = {0x04};
    p.secondaries = {{0x06}, {}};
    EXPECT_TRUE(encodeUdptlPacket(p).empty());
    p.secondaries = {{0x06}};
    EXPECT_FALSE(encodeUdptlPacket(p).empty());
    // FEC entries may be empty octet strings (parity over nothing yet).
    p.recovery = UdptlRecoveryKind::kFec;
    p.secondaries.clear();
    p.fecEntries = {{}};
    EXPECT_EQ(parseUdptlPacket(encodeUdptlPacket(p)).packet, p);
}

TEST(UdptlPacketTest, RandomPacketsRoundTrip) {
    std::mt19937 random(38);
    auto randomBytes = [&](std::size_t minSize, std::size_t maxSize) {
        Bytes b(std::uniform_int_distribution<std::size_t>(minSize, maxSize)(random));
        for (uint8_t& x : b) x = static_cast<uint8_t>(random());
        return b;
    };
    for (int round = 0; round < 2000; ++round) {
        UdptlPacket p;
        p.sequence = static_cast<uint16_t>(random());
        p.primary = randomBytes(1, round % 10 == 0 ? 400 : 60);
        if (random() % 2 == 0) {
            for (int n = static_cast<int>(random() % 6); n > 0; --n) {
                p.secondaries.push_back(randomBytes(1, 200));
            }
        } else {
            p.recovery = UdptlRecoveryKind::kFec;
            p.fecSpan = static_cast<uint32_t>(random() % 70000);
            for (int n = static_cast<int>(random() % 5); n > 0; --n) {
                p.fecEntries.push_back(randomBytes(0, 200));
            }
        }
        const Bytes datagram = encodeUdptlPacket(p);
        ASSERT_EQ(datagram.size(), udptlPacketBytes(p));
        const UdptlParseResult back = parseUdptlPacket(datagram);
        ASSERT_TRUE(back.ok()) << round << ": " << describe(back.error);
        ASSERT_EQ(back.packet, p) << round;
    }
}

}  // namespace
}  // namespace faxgate::node::t38
