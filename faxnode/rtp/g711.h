// G.711 audio for RTP (RFC 3551): PCMU (mu-law, payload type 0) and PCMA (A-law, payload
// type 8), one byte per sample at 8 kHz. A fax call moves 20 ms blocks of 160 samples; the
// coder works on any count. The arithmetic is SpanDSP's (spandsp/g711.h); decoding goes
// through 256-entry tables built from it. Pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace faxgate::node::rtp {

inline constexpr int kSampleRateHz = 8000;
inline constexpr std::size_t kSamplesPerFrame = 160;          // 20 ms at 8 kHz: one RTP packet
inline constexpr std::size_t kFrameBytes = kSamplesPerFrame;  // one G.711 byte per sample
inline constexpr uint8_t kPayloadTypePcmu = 0;
inline constexpr uint8_t kPayloadTypePcma = 8;

enum class G711Law { kMuLaw, kALaw };

uint8_t payloadTypeOf(G711Law law);
// The law of a static payload type, or nullopt when it is neither 0 nor 8.
std::optional<G711Law> lawOfPayloadType(int payloadType);
// The code of a zero sample (0xff for mu-law, 0xd5 for A-law).
uint8_t silenceCode(G711Law law);

// Codes min(input, out) samples: `out` is normally as long as the input.
void encodeG711(G711Law law, std::span<const int16_t> samples, std::span<uint8_t> out);
void decodeG711(G711Law law, std::span<const uint8_t> codes, std::span<int16_t> out);

}  // namespace faxgate::node::rtp
