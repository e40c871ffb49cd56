// A bounded fuzz run of the UDPTL parser: random datagrams and mutations of valid packets
// of every shape (bit flips, truncation, appended bytes, overwritten length octets). Each
// input is copied into a heap buffer of exactly its size, so AddressSanitizer or valgrind
// would flag any read past it; without them the test checks the parser's promise that it
// accepts only the canonical encoding: whatever it accepts encodes back to the same bytes.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <vector>

#include "faxnode/t38/udptl_packet.h"

namespace faxgate::node::t38 {
namespace {

using Bytes = std::vector<uint8_t>;

// Parses an exactly sized copy; returns whether it was accepted.
bool parseChecked(const Bytes& input) {
    std::unique_ptr<uint8_t[]> exact(new uint8_t[input.empty() ? 1 : input.size()]);
    std::copy(input.begin(), input.end(), exact.get());
    const UdptlParseResult result = parseUdptlPacket({exact.get(), input.size()});
    if (!result.ok()) {
        EXPECT_NE(result.error, UdptlParseError::kNone);
        return false;
    }
    EXPECT_FALSE(result.packet.primary.empty());
    EXPECT_EQ(encodeUdptlPacket(result.packet), input);
    return true;
}

std::vector<Bytes> seedPackets() {
    std::vector<Bytes> seeds;
    std::mt19937 random(6);
    auto bytes = [&](std::size_t size) {
        Bytes b(size);
        for (uint8_t& x : b) x = static_cast<uint8_t>(random());
        return b;
    };
    for (std::size_t primarySize : {1u, 2u, 60u, 127u, 128u, 300u}) {
        for (int copies : {0, 1, 3}) {
            UdptlPacket p;
            p.sequence = static_cast<uint16_t>(random());
            p.primary = bytes(primarySize);
            for (int i = 0; i < copies; ++i) p.secondaries.push_back(bytes(1 + random() % 140));
            seeds.push_back(encodeUdptlPacket(p));
        }
        for (int entries : {0, 1, 3}) {
            UdptlPacket p;
            p.primary = bytes(primarySize);
            p.recovery = UdptlRecoveryKind::kFec;
            p.fecSpan = entries == 3 ? 200 : 3;
            for (int i = 0; i < entries; ++i) p.fecEntries.push_back(bytes(random() % 140));
            seeds.push_back(encodeUdptlPacket(p));
        }
    }
    return seeds;
}

TEST(UdptlPacketFuzzTest, RandomAndMutatedDatagramsNeverBreakTheParser) {
    const std::vector<Bytes> seeds = seedPackets();
    std::mt19937 random(20260601);
    std::uniform_int_distribution<int> byte(0, 255);
    int accepted = 0;
    constexpr int kRounds = 200000;
    for (int round = 0; round < kRounds; ++round) {
        Bytes input;
        switch (round % 4) {
            case 0: {  // noise, mostly short, with small plausible length octets
                const int size = std::uniform_int_distribution<int>(0, 48)(random);
                for (int i = 0; i < size; ++i) {
                    input.push_back(
                        static_cast<uint8_t>(i % 3 == 2 ? byte(random) & 0x07 : byte(random)));
                }
                break;
            }
            case 1: {  // bit flips in a valid packet
                input = seeds[random() % seeds.size()];
                for (int flips = 1 + static_cast<int>(random() % 3); flips > 0; --flips) {
                    input[random() % input.size()] ^= static_cast<uint8_t>(1 << (random() % 8));
                }
                break;
            }
            case 2: {  // a valid packet cut short or with bytes appended
                input = seeds[random() % seeds.size()];
                if (random() % 2 == 0) {
                    input.resize(random() % (input.size() + 1));
                } else {
                    for (int extra = 1 + static_cast<int>(random() % 4); extra > 0; --extra) {
                        input.push_back(static_cast<uint8_t>(byte(random)));
                    }
                }
                break;
            }
            default: {  // a valid packet with one octet replaced by a length-like value
                input = seeds[random() % seeds.size()];
                static const uint8_t kLengthish[] = {0x00, 0x01, 0x02, 0x7f, 0x80, 0x81,
                                                     0xbf, 0xc0, 0xc1, 0xc4, 0xc5, 0xff};
                input[random() % input.size()] = kLengthish[random() % sizeof(kLengthish)];
                break;
            }
        }
        if (parseChecked(input)) ++accepted;
        if (::testing::Test::HasFailure()) {
            FAIL() << "round " << round << ", " << input.size() << " bytes";
        }
    }
    // The mutations reach both sides of the parser's checks.
    EXPECT_GT(accepted, kRounds / 50);
    EXPECT_LT(accepted, kRounds - kRounds / 20);
}

}  // namespace
}  // namespace faxgate::node::t38
