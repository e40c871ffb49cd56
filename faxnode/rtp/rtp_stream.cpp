// One RTP audio stream (see rtp_stream.h): packing G.711 frames, and filtering received
// packets into the jitter buffer.
#include "faxnode/rtp/rtp_stream.h"

#include <algorithm>
#include <cstdlib>
#include <random>

namespace faxgate::node::rtp {

RtpSendOrigin RtpSendOrigin::random() {
    std::random_device device;
    RtpSendOrigin origin;
    origin.ssrc = device();
    origin.sequence = static_cast<uint16_t>(device());
    origin.timestamp = device();
    return origin;
}

RtpStream::RtpStream(G711Law law, RtpSendOrigin origin, JitterBufferOptions jitter)
    : law_(law), payloadType_(payloadTypeOf(law)), send_(origin), jitter_(jitter) {}

std::size_t RtpStream::packFrame(std::span<const int16_t, kSamplesPerFrame> samples,
                                 std::span<uint8_t, kMaxPacketBytes> out) {
    RtpHeader header;
    header.marker = !firstPacketSent_;
    header.payloadType = payloadType_;
    header.sequence = send_.sequence;
    header.timestamp = send_.timestamp;
    header.ssrc = send_.ssrc;
    // The header is written with an empty body; the payload is coded straight behind it.
    const std::size_t headerBytes = buildRtpPacket(header, RtpBody{}, out);
    encodeG711(law_, samples, out.subspan(headerBytes, kFrameBytes));
    const std::size_t bytes = headerBytes + kFrameBytes;
    firstPacketSent_ = true;
    ++send_.sequence;
    send_.timestamp += static_cast<uint32_t>(kSamplesPerFrame);
    ++stats_.packetsSent;
    return bytes;
}

void RtpStream::adopt(uint32_t ssrc, uint16_t firstSequence) {
    if (receiveSsrc_) {
        retiredSsrc_ = receiveSsrc_;
        ++stats_.ssrcChanges;
        // The new stream's numbering continues the playout after the old stream's frames.
        jitter_.continueWith(firstSequence);
    }
    receiveSsrc_ = ssrc;
    candidateSsrc_.reset();
    heldCount_ = 0;
}

bool RtpStream::considerCandidate(const RtpHeader& header, std::span<const uint8_t> payload) {
    if (candidateSsrc_ != header.ssrc) {
        candidateSsrc_ = header.ssrc;
        heldCount_ = 0;
    }
    // Confirmed by a held packet close to this one; the new numbering starts at the
    // earliest of those (the held ones may have come in any order).
    bool confirmed = false;
    int earliest = 0;  // distance from this packet's number to the earliest close one
    for (std::size_t i = 0; i < heldCount_; ++i) {
        const int distance =
            static_cast<int16_t>(static_cast<uint16_t>(held_[i].sequence - header.sequence));
        if (distance != 0 && std::abs(distance) <= kCandidateWindow) {
            confirmed = true;
            earliest = std::min(earliest, distance);
        }
    }
    if (!confirmed) {
        if (heldCount_ < kMaxHeldFrames) {
            held_[heldCount_].sequence = header.sequence;
            std::copy(payload.begin(), payload.end(), held_[heldCount_].frame.begin());
            ++heldCount_;
        }
        ++stats_.foreignSsrc;
        return false;
    }
    const std::size_t heldCount = heldCount_;
    adopt(header.ssrc, static_cast<uint16_t>(header.sequence + earliest));
    for (std::size_t i = 0; i < heldCount; ++i) jitter_.push(held_[i].sequence, held_[i].frame);
    return true;
}

void RtpStream::receivePacket(std::span<const uint8_t> datagram) {
    ++stats_.packetsReceived;
    const RtpParseResult parsed = parseRtpPacket(datagram);
    if (!parsed.ok()) {
        ++stats_.malformed;
        return;
    }
    const RtpHeader& header = parsed.packet.header;
    const std::span<const uint8_t> payload = parsed.packet.payload;
    if (header.payloadType != payloadType_) {
        ++stats_.wrongPayloadType;
        return;
    }
    if (payload.size() != kFrameBytes) {
        ++stats_.wrongSize;
        return;
    }
    if (!receiveSsrc_) adopt(header.ssrc, header.sequence);
    if (header.ssrc != *receiveSsrc_) {
        if (header.ssrc == retiredSsrc_) {
            ++stats_.foreignSsrc;
            return;
        }
        if (!considerCandidate(header, payload)) return;
    }
    jitter_.push(header.sequence, payload);
}

JitterBuffer::Playout RtpStream::playoutFrame(std::span<int16_t, kSamplesPerFrame> out) {
    const JitterBuffer::Tick tick = jitter_.pop();
    if (tick.playout == JitterBuffer::Playout::kFrame) {
        decodeG711(law_, tick.frame, out);
    } else {
        std::fill(out.begin(), out.end(), int16_t{0});
    }
    return tick.playout;
}

RtpStreamStats RtpStream::stats() const {
    RtpStreamStats stats = stats_;
    stats.jitter = jitter_.stats();
    return stats;
}

}  // namespace faxgate::node::rtp
