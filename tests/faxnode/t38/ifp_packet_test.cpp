// Finding the end of IFP packets built by hand from T.38 clause 7 (indicators, data packets
// with and without fields, extended types, version 0's packed field types), and trimming
// the zero padding FEC leaves on rebuilt packets; random input never makes the walker read
// outside its buffer.
#include "faxnode/t38/ifp_packet.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <vector>

namespace faxgate::node::t38 {
namespace {

using Bytes = std::vector<uint8_t>;

std::optional<std::size_t> length(const Bytes& bytes, int version = 2) {
    return ifpPacketBytes(bytes, version);
}

TEST(IfpPacketTest, Indicators) {
    EXPECT_EQ(length({0x00}), 1u);              // no-signal
    EXPECT_EQ(length({0x04, 0x00, 0x00}), 1u);  // CED, then padding
    EXPECT_EQ(length({0x22, 0x40}), 2u);        // extended: v8 indicators and later
    EXPECT_EQ(length({0x22}), std::nullopt);    // its second octet missing
    EXPECT_EQ(length({0x84}), std::nullopt);    // an indicator with a data field
    EXPECT_EQ(length({}), std::nullopt);
}

TEST(IfpPacketTest, DataPackets) {
    // v21 hdlc-data with 3 octets: type, count 1, field octet, length - 1 = 2, data.
    const Bytes hdlc = {0xc0, 0x01, 0x80, 0x00, 0x02, 0xff, 0x13, 0x80};
    EXPECT_EQ(length(hdlc), hdlc.size());
    // v17-14400 (value 8): t4-non-ecm-data of 2 octets, then t4-non-ecm-sig-end without data.
    const Bytes twoFields = {0xd0, 0x02, 0xb0, 0x00, 0x01, 0xaa, 0xbb, 0x38};
    EXPECT_EQ(length(twoFields), twoFields.size());
    // hdlc-fcs-OK without data (field type 2 in bits 5..3).
    EXPECT_EQ(length({0xc0, 0x01, 0x10, 0x00, 0x00}), 3u);
    // An extended field type takes two octets.
    EXPECT_EQ(length({0xc0, 0x01, 0xc0, 0x40, 0x00, 0x00, 0x11}), 7u);
    // A data packet without a data field, and an extended data type.
    EXPECT_EQ(length({0x40}), 1u);
    EXPECT_EQ(length({0x60, 0x40, 0x00}), 2u);
    // Field data announced beyond the end, a count with no fields, a count >= 128.
    EXPECT_EQ(length({0xc0, 0x01, 0x80, 0x00, 0x05, 0xff}), std::nullopt);
    EXPECT_EQ(length({0xc0, 0x02, 0x10}), std::nullopt);
    EXPECT_EQ(length({0xc0, 0x80, 0x10}), std::nullopt);
    EXPECT_EQ(length({0xc0}), std::nullopt);
}

TEST(IfpPacketTest, VersionZeroPacksFieldTypesWithoutDataInNibbles) {
    // Two data-less field types share one octet: hdlc-fcs-OK (2) high, hdlc-sig-end (1) low.
    EXPECT_EQ(length({0xc0, 0x02, 0x21, 0x00}, 0), 3u);
    // One data-less type alone still takes its octet.
    EXPECT_EQ(length({0xc0, 0x01, 0x20, 0x00}, 0), 3u);
    // A data-less type high, then a type with data in the low nibble, then its data.
    EXPECT_EQ(length({0xc0, 0x02, 0x28, 0x00, 0x00, 0x77, 0x00}, 0), 6u);
    // With data first: the field octet, then length and data.
    EXPECT_EQ(length({0xc0, 0x01, 0x80, 0x00, 0x00, 0x55}, 0), 6u);
}

TEST(IfpPacketTest, ZeroPaddingIsTrimmedOnlyAfterACompletePacket) {
    const Bytes padded = {0xc0, 0x01, 0x80, 0x00, 0x00, 0x55, 0x00, 0x00, 0x00};
    EXPECT_EQ(withoutZeroPadding(padded, 2).size(), 6u);
    const Bytes indicator = {0x06, 0x00, 0x00};
    EXPECT_EQ(withoutZeroPadding(indicator, 2).size(), 1u);
    // Something else than zeros after the end, or no complete packet: left as it is.
    const Bytes junk = {0x06, 0x00, 0x01};
    EXPECT_EQ(withoutZeroPadding(junk, 2).size(), 3u);
    const Bytes cut = {0xc0, 0x01, 0x80, 0x00, 0x09, 0x55};
    EXPECT_EQ(withoutZeroPadding(cut, 2).size(), 6u);
    const Bytes exact = {0x04};
    EXPECT_EQ(withoutZeroPadding(exact, 2).size(), 1u);
}

TEST(IfpPacketTest, RandomInputStaysInsideTheBuffer) {
    std::mt19937 random(738);
    for (int round = 0; round < 100000; ++round) {
        const std::size_t size = random() % 24;
        std::unique_ptr<uint8_t[]> exact(new uint8_t[size ? size : 1]);
        for (std::size_t i = 0; i < size; ++i) {
            // Small values make plausible counts and lengths.
            exact[i] = static_cast<uint8_t>(i % 2 ? random() % 4 : random());
        }
        const std::span<const uint8_t> bytes(exact.get(), size);
        for (int version : {0, 2}) {
            const std::optional<std::size_t> n = ifpPacketBytes(bytes, version);
            if (n) {
                ASSERT_GE(*n, 1u);
                ASSERT_LE(*n, size);
            }
            ASSERT_LE(withoutZeroPadding(bytes, version).size(), size);
        }
    }
}

}  // namespace
}  // namespace faxgate::node::t38
