// RTP header parsing and building (see rtp_packet.h). Every read is preceded by a check of
// the bytes still available; multi-byte fields are big-endian (network order).
#include "faxnode/rtp/rtp_packet.h"

#include <algorithm>

namespace faxgate::node::rtp {

namespace {

uint16_t readUint16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

uint32_t readUint32(const uint8_t* p) {
    return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
           (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}

void writeUint16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}

void writeUint32(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
}

constexpr std::size_t kExtensionHeaderBytes = 4;
constexpr std::size_t kMaxExtensionWords = 0xffff;

}  // namespace

const char* describe(RtpParseError error) {
    switch (error) {
        case RtpParseError::kNone:
            return "ok";
        case RtpParseError::kTruncatedHeader:
            return "shorter than the 12-byte RTP header";
        case RtpParseError::kBadVersion:
            return "RTP version is not 2";
        case RtpParseError::kCsrcBeyondEnd:
            return "CSRC list runs past the end of the packet";
        case RtpParseError::kExtensionBeyondEnd:
            return "header extension runs past the end of the packet";
        case RtpParseError::kPaddingBeyondEnd:
            return "padding count is 0 or runs past the headers";
    }
    return "unknown RTP parse error";
}

RtpParseResult parseRtpPacket(std::span<const uint8_t> datagram) {
    RtpParseResult result;
    const std::size_t size = datagram.size();
    if (size < kRtpFixedHeaderBytes) {
        result.error = RtpParseError::kTruncatedHeader;
        return result;
    }
    const uint8_t* p = datagram.data();
    RtpHeader& h = result.packet.header;
    h.version = static_cast<uint8_t>(p[0] >> 6);
    if (h.version != kRtpVersion) {
        result.error = RtpParseError::kBadVersion;
        return result;
    }
    h.padding = (p[0] & 0x20) != 0;
    h.extension = (p[0] & 0x10) != 0;
    h.csrcCount = static_cast<uint8_t>(p[0] & 0x0f);
    h.marker = (p[1] & 0x80) != 0;
    h.payloadType = static_cast<uint8_t>(p[1] & 0x7f);
    h.sequence = readUint16(p + 2);
    h.timestamp = readUint32(p + 4);
    h.ssrc = readUint32(p + 8);

    std::size_t offset = kRtpFixedHeaderBytes;
    const std::size_t csrcBytes = std::size_t{4} * h.csrcCount;
    if (size - offset < csrcBytes) {
        result.error = RtpParseError::kCsrcBeyondEnd;
        return result;
    }
    for (std::size_t i = 0; i < h.csrcCount; ++i) h.csrc[i] = readUint32(p + offset + 4 * i);
    offset += csrcBytes;

    if (h.extension) {
        if (size - offset < kExtensionHeaderBytes) {
            result.error = RtpParseError::kExtensionBeyondEnd;
            return result;
        }
        h.extensionProfile = readUint16(p + offset);
        const std::size_t extensionBytes = std::size_t{4} * readUint16(p + offset + 2);
        offset += kExtensionHeaderBytes;
        if (size - offset < extensionBytes) {
            result.error = RtpParseError::kExtensionBeyondEnd;
            return result;
        }
        result.packet.extensionData = datagram.subspan(offset, extensionBytes);
        offset += extensionBytes;
    }

    std::size_t payloadEnd = size;
    if (h.padding) {
        // The last byte counts the padding, itself included (RFC 3550 5.1).
        const uint8_t paddingBytes = p[size - 1];
        if (paddingBytes == 0 || paddingBytes > size - offset) {
            result.error = RtpParseError::kPaddingBeyondEnd;
            return result;
        }
        result.packet.paddingBytes = paddingBytes;
        payloadEnd = size - paddingBytes;
    }
    result.packet.payload = datagram.subspan(offset, payloadEnd - offset);
    return result;
}

std::size_t rtpPacketBytes(const RtpHeader& header, const RtpBody& body) {
    std::size_t bytes = kRtpFixedHeaderBytes + std::size_t{4} * header.csrcCount;
    if (header.extension) bytes += kExtensionHeaderBytes + body.extensionData.size();
    return bytes + body.payload.size() + body.paddingBytes;
}

std::size_t buildRtpPacket(const RtpHeader& header, const RtpBody& body, std::span<uint8_t> out) {
    if (header.csrcCount > kRtpMaxCsrcCount || header.payloadType > 0x7f) return 0;
    if (header.extension && (body.extensionData.size() % 4 != 0 ||
                             body.extensionData.size() / 4 > kMaxExtensionWords)) {
        return 0;
    }
    const std::size_t bytes = rtpPacketBytes(header, body);
    if (out.size() < bytes) return 0;

    uint8_t* p = out.data();
    p[0] = static_cast<uint8_t>(((header.version & 0x03) << 6) | (body.paddingBytes ? 0x20 : 0) |
                                (header.extension ? 0x10 : 0) | header.csrcCount);
    p[1] = static_cast<uint8_t>((header.marker ? 0x80 : 0) | header.payloadType);
    writeUint16(p + 2, header.sequence);
    writeUint32(p + 4, header.timestamp);
    writeUint32(p + 8, header.ssrc);
    std::size_t offset = kRtpFixedHeaderBytes;
    for (std::size_t i = 0; i < header.csrcCount; ++i, offset += 4) {
        writeUint32(p + offset, header.csrc[i]);
    }
    if (header.extension) {
        writeUint16(p + offset, header.extensionProfile);
        writeUint16(p + offset + 2, static_cast<uint16_t>(body.extensionData.size() / 4));
        offset += kExtensionHeaderBytes;
        std::copy(body.extensionData.begin(), body.extensionData.end(), p + offset);
        offset += body.extensionData.size();
    }
    std::copy(body.payload.begin(), body.payload.end(), p + offset);
    offset += body.payload.size();
    if (body.paddingBytes) {
        for (std::size_t i = 1; i < body.paddingBytes; ++i) p[offset++] = 0;
        p[offset++] = body.paddingBytes;
    }
    return offset;
}

}  // namespace faxgate::node::rtp
