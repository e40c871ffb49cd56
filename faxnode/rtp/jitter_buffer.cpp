// The fixed-delay playout buffer (see jitter_buffer.h). Slots form a ring indexed by the
// extended sequence number modulo the capacity; a played slot keeps its number until it is
// reused, which is how a duplicate of an already played frame is told from a late packet.
#include "faxnode/rtp/jitter_buffer.h"

#include <algorithm>
#include <stdexcept>

namespace faxgate::node::rtp {

namespace {

// Extended numbers start far from zero so that moving the playout point back never makes
// them negative; only differences matter.
constexpr int64_t kExtendedBase = int64_t{1} << 32;

}  // namespace

JitterBuffer::JitterBuffer(JitterBufferOptions options) : options_(options) {
    if (options_.delayFrames < 0 || options_.capacityFrames <= options_.delayFrames) {
        throw std::invalid_argument(
            "jitter buffer: delayFrames must be >= 0 and below capacityFrames");
    }
    slots_.resize(static_cast<std::size_t>(options_.capacityFrames));
}

JitterBuffer::Slot& JitterBuffer::slotOf(int64_t sequence) {
    return slots_[static_cast<std::size_t>(sequence % options_.capacityFrames)];
}

void JitterBuffer::anchor(uint16_t sequence) {
    for (Slot& slot : slots_) slot.state = SlotState::kEmpty;
    anchored_ = true;
    next_ = kExtendedBase + sequence;
    highest_ = next_;
    waitTicks_ = options_.delayFrames;
    probationNext_.reset();
}

void JitterBuffer::store(int64_t sequence, std::span<const uint8_t> frame) {
    Slot& slot = slotOf(sequence);
    slot.sequence = sequence;
    slot.state = SlotState::kFilled;
    std::copy(frame.begin(), frame.end(), slot.frame);
    if (sequence < highest_) ++stats_.reordered;
    highest_ = std::max(highest_, sequence);
    ++stats_.stored;
}

void JitterBuffer::continueWith(uint16_t sequence) {
    if (!anchored_) {
        sequenceOffset_ = 0;
        return;
    }
    ++stats_.restarts;
    int64_t place = highest_ + 1;
    if (highest_ < next_) {
        // Nothing buffered: the new numbering starts at the playout point, after the delay.
        place = next_;
        waitTicks_ = std::max(waitTicks_, options_.delayFrames);
    }
    sequenceOffset_ = static_cast<uint16_t>(static_cast<uint16_t>(place) - sequence);
    probationNext_.reset();
}

JitterBuffer::PushResult JitterBuffer::push(uint16_t rawSequence, std::span<const uint8_t> frame) {
    if (frame.size() != kFrameBytes) return PushResult::kWrongSize;
    const auto sequence = static_cast<uint16_t>(rawSequence + sequenceOffset_);
    if (!anchored_) {
        anchor(sequence);
        store(next_, frame);
        return PushResult::kStored;
    }
    // Distance from the playout point, across the 16-bit wrap.
    const int delta = static_cast<int16_t>(static_cast<uint16_t>(sequence - next_));
    const int64_t extended = next_ + delta;
    const int capacity = options_.capacityFrames;

    if (delta >= 0 && delta < capacity) {
        Slot& slot = slotOf(extended);
        if (slot.state != SlotState::kEmpty && slot.sequence == extended) {
            ++stats_.duplicates;
            return PushResult::kDuplicate;
        }
        store(extended, frame);
        return PushResult::kStored;
    }
    if (delta < 0 && delta >= -kMaxMisorderFrames) {
        // Behind the playout point: a frame already buffered or played, or late...
        const Slot& slot = slotOf(extended);
        if (-delta < capacity && slot.state != SlotState::kEmpty && slot.sequence == extended) {
            ++stats_.duplicates;
            return PushResult::kDuplicate;
        }
        // ...unless the delay is still filling: a packet that left the sender before the
        // first one can still be played at its own place, if that place is not already past
        // and the window still holds every buffered frame.
        if (waitTicks_ + delta >= 0 && highest_ - extended < capacity) {
            next_ = extended;
            waitTicks_ += delta;
            store(extended, frame);
            return PushResult::kStored;
        }
        ++stats_.late;
        return PushResult::kLate;
    }
    if (delta >= capacity && delta < kMaxDropoutFrames) {
        // The sender is ahead of the window: drop the oldest frames to make room.
        const int64_t newNext = extended - capacity + 1;
        for (int64_t s = next_; s < std::min(newNext, next_ + capacity); ++s) {
            Slot& slot = slotOf(s);
            if (slot.state == SlotState::kFilled && slot.sequence == s) {
                slot.state = SlotState::kEmpty;
                ++stats_.overflow;
            }
        }
        next_ = newNext;
        store(extended, frame);
        return PushResult::kStored;
    }
    // Far outside the window: follow the jump only when the next packet confirms it.
    if (probationNext_ && *probationNext_ == sequence) {
        continueWith(rawSequence);
        return push(rawSequence, frame);
    }
    probationNext_ = static_cast<uint16_t>(sequence + 1);
    ++stats_.discarded;
    return PushResult::kDiscarded;
}

JitterBuffer::Tick JitterBuffer::pop() {
    Tick tick;
    if (!anchored_) return tick;
    if (waitTicks_ > 0) {
        --waitTicks_;
        return tick;
    }
    Slot& slot = slotOf(next_);
    if (slot.state == SlotState::kFilled && slot.sequence == next_) {
        slot.state = SlotState::kPlayed;
        ++stats_.played;
        tick.playout = Playout::kFrame;
        tick.frame = std::span<const uint8_t>(slot.frame, kFrameBytes);
    } else {
        ++stats_.lost;
        tick.playout = Playout::kMissing;
    }
    ++next_;
    return tick;
}

void JitterBuffer::reset() {
    for (Slot& slot : slots_) slot.state = SlotState::kEmpty;
    anchored_ = false;
    waitTicks_ = 0;
    sequenceOffset_ = 0;
    probationNext_.reset();
}

}  // namespace faxgate::node::rtp
