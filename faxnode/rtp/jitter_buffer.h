// A fixed-delay playout buffer for one RTP stream of 20 ms G.711 frames, sized for fax.
//
// Fax modems (V.17, V.29, V.27ter) recover the far end's symbol clock and train their
// equaliser on a carrier that must not jump: an adaptive jitter buffer that grows or shrinks
// its delay while a page is being sent cuts samples out of (or into) the carrier and breaks
// the page. So the delay here is fixed for the whole stream: the first packet is played
// `delayFrames` ticks after it arrives, and every later packet at its sequence number's
// place after that. A packet that arrives after its place was played is late and dropped; a
// frame whose packet has not arrived in time is played as "missing" (the caller plays
// silence or lets the modem coast; nothing is repeated). The playout clock is the caller's:
// one pop() per 20 ms tick. Sizing and its reasons: docs/sip-line.md.
//
// Sequence numbers are 16 bits and wrap; they are extended against the playout point, so a
// stream may run for any time. A jump of more than kMaxDropoutFrames ahead or
// kMaxMisorderFrames behind (a sender that restarted its numbering) is followed only when
// the next packet confirms it (RFC 3550 A.1's probation). A restarted numbering (that jump,
// or a new SSRC through continueWith()) continues the playout: its first frame plays right
// after the frames still buffered, so a re-INVITE in the middle of a page drops nothing.
//
// Invariant: every buffered frame's sequence number lies in [next, next + capacityFrames),
// where next is the next frame to play. Not thread-safe: one media thread pushes and pops.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "faxnode/rtp/g711.h"

namespace faxgate::node::rtp {

struct JitterBufferOptions {
    // Ticks (20 ms each) between the first packet's arrival and its playout: the jitter the
    // stream tolerates. 4 = 80 ms.
    int delayFrames = 4;
    // Frames the buffer holds ahead of the playout point; a sender running further ahead (a
    // faster clock, a burst) loses its oldest buffered frames. Must exceed delayFrames.
    int capacityFrames = 16;
};

struct JitterBufferStats {
    uint64_t stored = 0;      // packets accepted into the buffer
    uint64_t played = 0;      // frames played from a packet
    uint64_t lost = 0;        // frames played as missing: the packet had not arrived in time
    uint64_t late = 0;        // packets dropped because their place had already been played
    uint64_t duplicates = 0;  // packets dropped because the same frame was buffered or played
    uint64_t reordered = 0;   // packets stored after a packet with a higher sequence number
    uint64_t overflow = 0;    // buffered frames dropped because the sender ran too far ahead
    uint64_t restarts = 0;    // restarted numberings followed (a confirmed jump, a new SSRC)
    uint64_t discarded = 0;   // packets far outside the window, dropped while on probation
};

class JitterBuffer {
  public:
    static constexpr int kMaxDropoutFrames = 3000;  // RFC 3550 A.1's MAX_DROPOUT
    static constexpr int kMaxMisorderFrames = 100;  // RFC 3550 A.1's MAX_MISORDER

    enum class PushResult { kStored, kDuplicate, kLate, kDiscarded, kWrongSize };

    enum class Playout {
        kWaiting,  // no packet yet, or the fixed delay is still filling: play silence
        kFrame,    // a frame from a packet
        kMissing,  // this frame's packet did not arrive in time (counted as lost)
    };

    struct Tick {
        Playout playout = Playout::kWaiting;
        std::span<const uint8_t> frame;  // kFrameBytes when kFrame; valid until the next call
    };

    // Throws std::invalid_argument when delayFrames < 0 or capacityFrames <= delayFrames.
    explicit JitterBuffer(JitterBufferOptions options = {});

    // A packet's payload (exactly kFrameBytes) with its RTP sequence number.
    PushResult push(uint16_t sequence, std::span<const uint8_t> frame);

    // One 20 ms playout tick.
    Tick pop();

    // The sender restarted its numbering (a new SSRC after a re-INVITE): the frame with
    // `sequence` and those after it continue right after the frames still buffered, or, when
    // none are, after the fixed delay. Nothing buffered is dropped.
    void continueWith(uint16_t sequence);

    // Forgets every frame and the playout point (a new stream starts); statistics remain.
    void reset();

    const JitterBufferStats& stats() const { return stats_; }
    const JitterBufferOptions& options() const { return options_; }

  private:
    enum class SlotState : uint8_t { kEmpty, kFilled, kPlayed };
    struct Slot {
        int64_t sequence = 0;  // extended sequence number of the frame in this slot
        SlotState state = SlotState::kEmpty;
        uint8_t frame[kFrameBytes];
    };

    Slot& slotOf(int64_t sequence);
    void anchor(uint16_t sequence);  // the first packet (or one after a jump) starts playout
    void store(int64_t sequence, std::span<const uint8_t> frame);

    JitterBufferOptions options_;
    std::vector<Slot> slots_;
    bool anchored_ = false;
    int64_t next_ = 0;             // extended sequence number of the next frame to play
    int64_t highest_ = 0;          // highest extended sequence number stored since anchoring
    int waitTicks_ = 0;            // pops left before `next_` plays (the delay still filling)
    uint16_t sequenceOffset_ = 0;  // added to incoming numbers since the last restart
    std::optional<uint16_t> probationNext_;  // a jump is followed if this number comes next
    JitterBufferStats stats_;
};

}  // namespace faxgate::node::rtp
