// G.711 coding: payload types, silence codes, known code points, and the round trip error
// of both laws staying within the law's quantisation step.
#include "faxnode/rtp/g711.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <vector>

namespace faxgate::node::rtp {
namespace {

TEST(G711Test, PayloadTypesAreTheStaticOnes) {
    EXPECT_EQ(payloadTypeOf(G711Law::kMuLaw), 0);
    EXPECT_EQ(payloadTypeOf(G711Law::kALaw), 8);
    EXPECT_EQ(lawOfPayloadType(0), G711Law::kMuLaw);
    EXPECT_EQ(lawOfPayloadType(8), G711Law::kALaw);
    EXPECT_FALSE(lawOfPayloadType(13).has_value());   // comfort noise
    EXPECT_FALSE(lawOfPayloadType(101).has_value());  // a telephone-event type
}

TEST(G711Test, SilenceCodesDecodeToNearZeroAndZeroEncodesToThem) {
    for (G711Law law : {G711Law::kMuLaw, G711Law::kALaw}) {
        const int16_t zero[1] = {0};
        uint8_t code[1];
        encodeG711(law, zero, code);
        EXPECT_EQ(code[0], silenceCode(law));
        int16_t decoded[1];
        decodeG711(law, code, decoded);
        EXPECT_LE(std::abs(decoded[0]), 8);
    }
}

TEST(G711Test, KnownCodePoints) {
    const uint8_t codes[2] = {0x80, 0x00};  // the two extremes of mu-law
    int16_t decoded[2];
    decodeG711(G711Law::kMuLaw, codes, decoded);
    EXPECT_EQ(decoded[0], 32124);
    EXPECT_EQ(decoded[1], -32124);
    const uint8_t aCodes[2] = {0xaa, 0x2a};  // the two extremes of A-law
    decodeG711(G711Law::kALaw, aCodes, decoded);
    EXPECT_EQ(decoded[0], 32256);
    EXPECT_EQ(decoded[1], -32256);
}

TEST(G711Test, FrameRoundTripStaysWithinTheQuantisationStep) {
    // A 1800 Hz tone at about -10 dBm0, a typical fax signal level, over one 20 ms frame.
    std::vector<int16_t> tone(kSamplesPerFrame);
    for (std::size_t i = 0; i < tone.size(); ++i) {
        tone[i] = static_cast<int16_t>(8000 * std::sin(2 * M_PI * 1800 * i / kSampleRateHz));
    }
    for (G711Law law : {G711Law::kMuLaw, G711Law::kALaw}) {
        std::vector<uint8_t> codes(kFrameBytes);
        std::vector<int16_t> decoded(kSamplesPerFrame);
        encodeG711(law, tone, codes);
        decodeG711(law, codes, decoded);
        for (std::size_t i = 0; i < tone.size(); ++i) {
            // Logarithmic coding: the error grows with the magnitude, at most 1/32 of it
            // (plus the smallest step).
            const int tolerance = std::abs(tone[i]) / 32 + 16;
            EXPECT_NEAR(decoded[i], tone[i], tolerance) << "sample " << i;
        }
    }
}

TEST(G711Test, EveryCodeSurvivesDecodeThenEncode) {
    for (G711Law law : {G711Law::kMuLaw, G711Law::kALaw}) {
        std::vector<uint8_t> codes(256);
        for (int i = 0; i < 256; ++i) codes[i] = static_cast<uint8_t>(i);
        std::vector<int16_t> linear(256);
        std::vector<uint8_t> again(256);
        decodeG711(law, codes, linear);
        encodeG711(law, linear, again);
        for (int i = 0; i < 256; ++i) {
            // mu-law has two codes for zero (0x7f and 0xff); all others are exact.
            if (law == G711Law::kMuLaw && i == 0x7f) continue;
            EXPECT_EQ(again[i], codes[i]) << "code " << i;
        }
    }
}

TEST(G711Test, ShortOutputIsNeverOverrun) {
    const std::vector<int16_t> samples(160, 1000);
    std::vector<uint8_t> out(100 + 1, 0x42);
    encodeG711(G711Law::kALaw, samples, std::span(out.data(), 100));
    EXPECT_EQ(out[100], 0x42);
}

}  // namespace
}  // namespace faxgate::node::rtp
