// One RTP audio stream of a fax call, both directions, without sockets: 20 ms G.711 frames
// in and packets out on the send side; datagrams in and 20 ms frames out (through the
// jitter buffer) on the receive side. The SIP line driver moves the bytes (rtp_socket.h).
//
// Send side (RFC 3550): the SSRC, first sequence number and first timestamp are random
// (RtpSendOrigin::random()); each packet advances the sequence number by 1 and the timestamp
// by 160 samples; the first packet carries the marker bit (start of the talkspurt).
// Receive side: only the negotiated law's payload type with 160-byte payloads is played.
// The first SSRC heard is followed. A new SSRC (the far end restarted its stream, e.g. after
// a re-INVITE) is adopted once a second packet of it arrives within kCandidateWindow
// sequence numbers of one already held (a single stray packet never takes the stream over;
// the packets held meanwhile are kept, in whatever order they came). Its frames then play
// right after the old stream's buffered ones (JitterBuffer::continueWith), and the SSRC it
// replaced is ignored from then on, so late packets of the old stream cannot switch back.
// When the network reorders packets across the switch, the old stream's packets that
// arrive after it are lost (ECM repairs that; without ECM it is a few rows of one page).
//
// Invariant: `send_` holds the next packet's sequence number and timestamp; at most one
// SSRC is followed at a time. Not thread-safe: one media thread owns a stream.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "faxnode/rtp/g711.h"
#include "faxnode/rtp/jitter_buffer.h"
#include "faxnode/rtp/rtp_packet.h"

namespace faxgate::node::rtp {

// Where the send side's numbering starts.
struct RtpSendOrigin {
    uint32_t ssrc = 0;
    uint16_t sequence = 0;
    uint32_t timestamp = 0;
    // Random values (std::random_device), as RFC 3550 asks.
    static RtpSendOrigin random();
};

struct RtpStreamStats {
    uint64_t packetsSent = 0;
    uint64_t packetsReceived = 0;   // datagrams given to receivePacket()
    uint64_t malformed = 0;         // refused by the RTP parser
    uint64_t wrongPayloadType = 0;  // not the negotiated law (comfort noise, telephone events)
    uint64_t wrongSize = 0;         // payload not 160 bytes (not a 20 ms G.711 frame)
    uint64_t foreignSsrc = 0;       // from an SSRC that is not (or no longer) the one followed
    uint64_t ssrcChanges = 0;       // new SSRCs adopted after the first
    JitterBufferStats jitter;
};

class RtpStream {
  public:
    static constexpr std::size_t kMaxPacketBytes = kRtpFixedHeaderBytes + kFrameBytes;

    RtpStream(G711Law law, RtpSendOrigin origin, JitterBufferOptions jitter = {});

    G711Law law() const { return law_; }
    uint32_t sendSsrc() const { return send_.ssrc; }
    // The SSRC being followed; nullopt before the first packet.
    std::optional<uint32_t> receiveSsrc() const { return receiveSsrc_; }

    // Encodes one 20 ms frame and writes the next packet into `out`; returns its size
    // (kMaxPacketBytes).
    std::size_t packFrame(std::span<const int16_t, kSamplesPerFrame> samples,
                          std::span<uint8_t, kMaxPacketBytes> out);

    // A datagram from the far end. Anything that is not a playable packet is counted and
    // dropped.
    void receivePacket(std::span<const uint8_t> datagram);

    // One 20 ms playout tick: writes 160 samples to `out` (silence unless kFrame) and says
    // what they are; kMissing means a lost frame, which a fax modem may bridge rather than
    // hear as silence.
    JitterBuffer::Playout playoutFrame(std::span<int16_t, kSamplesPerFrame> out);

    RtpStreamStats stats() const;

    // A candidate SSRC is adopted when two of its packets are at most this far apart.
    static constexpr int kCandidateWindow = 8;

  private:
    struct HeldFrame {
        uint16_t sequence = 0;
        std::array<uint8_t, kFrameBytes> frame{};
    };
    static constexpr std::size_t kMaxHeldFrames = 4;

    void adopt(uint32_t ssrc, uint16_t firstSequence);
    // A packet of an SSRC other than the followed one; true when it was adopted just now.
    bool considerCandidate(const RtpHeader& header, std::span<const uint8_t> payload);

    G711Law law_;
    uint8_t payloadType_;
    RtpSendOrigin send_;  // the next packet's SSRC, sequence number and timestamp
    bool firstPacketSent_ = false;

    JitterBuffer jitter_;
    std::optional<uint32_t> receiveSsrc_;
    std::optional<uint32_t> retiredSsrc_;  // the SSRC the current one replaced
    // A new SSRC's packets, held until one more confirms the change.
    std::optional<uint32_t> candidateSsrc_;
    std::array<HeldFrame, kMaxHeldFrames> held_;
    std::size_t heldCount_ = 0;
    RtpStreamStats stats_;
};

}  // namespace faxgate::node::rtp
