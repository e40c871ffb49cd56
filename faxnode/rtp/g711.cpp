// G.711 coding with SpanDSP's inline coder (see g711.h). Encoding computes each code (a few
// instructions with a bit scan); decoding looks codes up in tables filled once at start-up.
#include "faxnode/rtp/g711.h"

#include <spandsp.h>

#include <algorithm>
#include <array>

namespace faxgate::node::rtp {

namespace {

struct DecodeTables {
    std::array<int16_t, 256> muLaw{};
    std::array<int16_t, 256> aLaw{};
    DecodeTables() {
        for (int code = 0; code < 256; ++code) {
            muLaw[code] = ulaw_to_linear(static_cast<uint8_t>(code));
            aLaw[code] = alaw_to_linear(static_cast<uint8_t>(code));
        }
    }
};

const DecodeTables& decodeTables() {
    static const DecodeTables tables;
    return tables;
}

}  // namespace

uint8_t payloadTypeOf(G711Law law) {
    return law == G711Law::kMuLaw ? kPayloadTypePcmu : kPayloadTypePcma;
}

std::optional<G711Law> lawOfPayloadType(int payloadType) {
    if (payloadType == kPayloadTypePcmu) return G711Law::kMuLaw;
    if (payloadType == kPayloadTypePcma) return G711Law::kALaw;
    return std::nullopt;
}

uint8_t silenceCode(G711Law law) { return law == G711Law::kMuLaw ? 0xff : 0xd5; }

void encodeG711(G711Law law, std::span<const int16_t> samples, std::span<uint8_t> out) {
    const std::size_t n = std::min(samples.size(), out.size());
    if (law == G711Law::kMuLaw) {
        for (std::size_t i = 0; i < n; ++i) out[i] = linear_to_ulaw(samples[i]);
    } else {
        for (std::size_t i = 0; i < n; ++i) out[i] = linear_to_alaw(samples[i]);
    }
}

void decodeG711(G711Law law, std::span<const uint8_t> codes, std::span<int16_t> out) {
    const auto& table = law == G711Law::kMuLaw ? decodeTables().muLaw : decodeTables().aLaw;
    const std::size_t n = std::min(codes.size(), out.size());
    for (std::size_t i = 0; i < n; ++i) out[i] = table[codes[i]];
}

}  // namespace faxgate::node::rtp
