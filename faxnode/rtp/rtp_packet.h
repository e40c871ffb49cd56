// RTP packets (RFC 3550 section 5.1): parsing a received datagram into its header fields,
// CSRC list, header extension and payload, and building a packet from those parts. The
// parser takes bytes straight off the network and is meant to be fuzzed: every length it
// reads is checked against the datagram first, and malformed input gives an RtpParseError,
// never an out-of-bounds read or an exception. No sockets here (rtp_socket.h has them).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace faxgate::node::rtp {

inline constexpr std::size_t kRtpFixedHeaderBytes = 12;
inline constexpr std::size_t kRtpMaxCsrcCount = 15;  // the CC field has 4 bits
inline constexpr uint8_t kRtpVersion = 2;

// The fixed header fields and the CSRC list. `csrcCount` entries of `csrc` are valid.
struct RtpHeader {
    uint8_t version = kRtpVersion;  // the parser only accepts 2
    bool padding = false;           // P: set by the parser when the packet had padding
    bool extension = false;         // X: a header extension follows the CSRC list
    uint8_t csrcCount = 0;          // CC, 0..15
    bool marker = false;            // M: for audio, the first packet of a talkspurt
    uint8_t payloadType = 0;        // 0..127 (0 PCMU, 8 PCMA)
    uint16_t sequence = 0;
    uint32_t timestamp = 0;  // in samples of the payload's clock (8 kHz for G.711)
    uint32_t ssrc = 0;
    std::array<uint32_t, kRtpMaxCsrcCount> csrc{};
    uint16_t extensionProfile = 0;  // the extension's "defined by profile" field, when X is set
};

// A parsed packet. The spans point into the datagram given to parseRtpPacket() and are valid
// as long as it is.
struct RtpPacketView {
    RtpHeader header;
    std::span<const uint8_t> extensionData;  // the extension's words (length field * 4 bytes)
    std::span<const uint8_t> payload;        // without padding
    uint8_t paddingBytes = 0;                // including the count byte itself; 0 without P
};

enum class RtpParseError {
    kNone,
    kTruncatedHeader,     // fewer than 12 bytes
    kBadVersion,          // version field is not 2
    kCsrcBeyondEnd,       // the CSRC count names more entries than the datagram holds
    kExtensionBeyondEnd,  // the extension header or its announced words pass the end
    kPaddingBeyondEnd,    // padding count 0, or larger than what follows the headers
};

// Plain words for an error, for logs and counters.
const char* describe(RtpParseError error);

struct RtpParseResult {
    RtpParseError error = RtpParseError::kNone;
    RtpPacketView packet;  // meaningful only when ok()
    bool ok() const { return error == RtpParseError::kNone; }
};

RtpParseResult parseRtpPacket(std::span<const uint8_t> datagram);

// What buildRtpPacket() writes besides the header: extension words (a multiple of 4 bytes,
// used when header.extension is set), the payload, and `paddingBytes` of padding (0: none,
// else 1..255 including the count byte; header.padding is ignored and set from this).
struct RtpBody {
    std::span<const uint8_t> extensionData;
    std::span<const uint8_t> payload;
    uint8_t paddingBytes = 0;
};

// Bytes buildRtpPacket() needs for this header and body.
std::size_t rtpPacketBytes(const RtpHeader& header, const RtpBody& body);

// Writes the packet into `out` and returns its size, or 0 when `out` is too small or the
// parts cannot form a packet (csrcCount > 15, payload type > 127, extension data that is not
// whole 32-bit words or longer than 65535 words). The version is written as given (masked to
// 2 bits), so tests can build packets the parser must refuse.
std::size_t buildRtpPacket(const RtpHeader& header, const RtpBody& body, std::span<uint8_t> out);

}  // namespace faxgate::node::rtp
