// A bounded fuzz run of the RTP parser: random datagrams and mutations of valid packets
// (bit flips, truncation, appended bytes, forced CC/X/P bits). Each input is copied into a
// buffer of exactly its size, so AddressSanitizer or valgrind would flag any read past it;
// without them the test checks that every result is self-consistent: an accepted packet's
// header, extension, payload and padding add up to the datagram, and spans stay inside it.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <vector>

#include "faxnode/rtp/rtp_packet.h"

namespace faxgate::node::rtp {
namespace {

void checkConsistent(const std::vector<uint8_t>& input) {
    // An exactly sized heap copy: any overread leaves the allocation.
    std::unique_ptr<uint8_t[]> exact(new uint8_t[input.size() ? input.size() : 1]);
    std::copy(input.begin(), input.end(), exact.get());
    const std::span<const uint8_t> datagram(exact.get(), input.size());
    const RtpParseResult result = parseRtpPacket(datagram);
    if (!result.ok()) return;
    const RtpPacketView& p = result.packet;
    const uint8_t* begin = datagram.data();
    const uint8_t* end = begin + datagram.size();
    ASSERT_GE(p.payload.data(), begin);
    ASSERT_LE(p.payload.data() + p.payload.size(), end);
    ASSERT_LE(p.header.csrcCount, kRtpMaxCsrcCount);
    const std::size_t extensionBytes = p.header.extension ? 4 + p.extensionData.size() : 0;
    ASSERT_EQ(kRtpFixedHeaderBytes + 4u * p.header.csrcCount + extensionBytes + p.payload.size() +
                  p.paddingBytes,
              datagram.size());
    if (p.header.extension) {
        ASSERT_GE(p.extensionData.data(), begin);
        ASSERT_LE(p.extensionData.data() + p.extensionData.size(), end);
    }
}

TEST(RtpPacketFuzzTest, RandomAndMutatedDatagramsNeverBreakTheParser) {
    std::mt19937 random(20261125);
    std::uniform_int_distribution<int> byte(0, 255);

    // Seeds: valid packets of every shape.
    std::vector<std::vector<uint8_t>> seeds;
    for (int cc : {0, 1, 15}) {
        for (bool extension : {false, true}) {
            for (uint8_t padding : {0, 1, 17}) {
                RtpHeader h;
                h.csrcCount = static_cast<uint8_t>(cc);
                h.extension = extension;
                const std::vector<uint8_t> words(extension ? 12 : 0, 0x5a);
                const std::vector<uint8_t> payload(160, 0xd5);
                std::vector<uint8_t> packet(rtpPacketBytes(h, {words, payload, padding}));
                buildRtpPacket(h, {words, payload, padding}, packet);
                seeds.push_back(packet);
            }
        }
    }

    int accepted = 0;
    constexpr int kRounds = 200000;
    for (int round = 0; round < kRounds; ++round) {
        std::vector<uint8_t> input;
        switch (round % 4) {
            case 0: {  // pure noise, mostly short
                const int size = std::uniform_int_distribution<int>(0, 64)(random);
                for (int i = 0; i < size; ++i) input.push_back(static_cast<uint8_t>(byte(random)));
                // Mostly version 2, so the noise gets past the first check.
                if (!input.empty() && round % 8 != 0) {
                    input[0] = static_cast<uint8_t>((input[0] & 0x3f) | 0x80);
                }
                break;
            }
            case 1: {  // bit flips in a valid packet
                input = seeds[random() % seeds.size()];
                for (int flips = 1 + random() % 4; flips > 0; --flips) {
                    input[random() % input.size()] ^= static_cast<uint8_t>(1 << (random() % 8));
                }
                break;
            }
            case 2: {  // truncated valid packet with forced CC/X/P bits
                input = seeds[random() % seeds.size()];
                input.resize(random() % (input.size() + 1));
                if (!input.empty()) input[0] |= static_cast<uint8_t>(random() & 0x3f);
                break;
            }
            default: {  // valid packet with random trailing bytes and length fields
                input = seeds[random() % seeds.size()];
                for (int extra = random() % 8; extra > 0; --extra) {
                    input.push_back(static_cast<uint8_t>(byte(random)));
                }
                if (input.size() > 16) {
                    input[14] = static_cast<uint8_t>(byte(random));
                    input[15] = static_cast<uint8_t>(byte(random));
                }
                break;
            }
        }
        checkConsistent(input);
        if (parseRtpPacket(input).ok()) ++accepted;
        if (::testing::Test::HasFatalFailure()) {
            FAIL() << "round " << round << ", " << input.size() << " bytes";
        }
    }
    // The mutations reach both sides of the parser's checks.
    EXPECT_GT(accepted, kRounds / 20);
    EXPECT_LT(accepted, kRounds - kRounds / 20);
}

}  // namespace
}  // namespace faxgate::node::rtp
