// UDPTL sending and receiving for one call (see udptl_session.h). Sequence numbers are
// compared as signed 16-bit distances, so the arithmetic is the same before and after the
// number wraps from 65535 to 0.
#include "faxnode/t38/udptl_session.h"

#include <algorithm>
#include <stdexcept>

namespace faxgate::node::t38 {

namespace {

constexpr std::size_t kMaxUdpPayloadBytes = 65507;
constexpr int kMaxReorderHoldPackets = 64;
constexpr int kMaxHoldTicks = 500;  // 10 s of 20 ms ticks

// How far `a` is after `b` (negative: before), across the 16-bit wrap.
int distance(uint16_t a, uint16_t b) { return static_cast<int16_t>(static_cast<uint16_t>(a - b)); }

}  // namespace

std::string validateUdptlOptions(const UdptlOptions& options) {
    if (options.redundancyDepth < 0 || options.redundancyDepth > kMaxRedundancyDepth) {
        return "redundancyDepth: 0 to " + std::to_string(kMaxRedundancyDepth);
    }
    if (options.fecSpan < 1 || options.fecEntries < 1 ||
        options.fecSpan * options.fecEntries > kMaxFecPackets) {
        return "fecSpan, fecEntries: at least 1 each, and at most " +
               std::to_string(kMaxFecPackets) + " packets per group";
    }
    if (options.maxDatagramBytes < kMinDatagramBytes ||
        options.maxDatagramBytes > kMaxUdpPayloadBytes) {
        return "maxDatagramBytes: " + std::to_string(kMinDatagramBytes) + " to " +
               std::to_string(kMaxUdpPayloadBytes);
    }
    if (options.reorderHoldPackets < 0 || options.reorderHoldPackets > kMaxReorderHoldPackets) {
        return "reorderHoldPackets: 0 to " + std::to_string(kMaxReorderHoldPackets);
    }
    if (options.maxHoldTicks < 1 || options.maxHoldTicks > kMaxHoldTicks) {
        return "maxHoldTicks: 1 to " + std::to_string(kMaxHoldTicks);
    }
    return {};
}

UdptlSession::UdptlSession(const UdptlOptions& options, uint16_t firstSequence)
    : options_(options), nextSendSequence_(firstSequence) {
    if (const std::string error = validateUdptlOptions(options); !error.empty()) {
        throw std::invalid_argument("UDPTL options: " + error);
    }
}

// ---- sending ----

std::vector<uint8_t> UdptlSession::send(std::span<const uint8_t> ifp) {
    if (ifp.empty()) return {};
    UdptlPacket packet = buildPacket(ifp);
    std::vector<uint8_t> datagram = encodeUdptlPacket(packet);
    if (datagram.size() > options_.maxDatagramBytes) ++stats_.oversize;
    sentHistory_[nextSendSequence_ % kMaxFecPackets] = {nextSendSequence_,
                                                        std::move(packet.primary)};
    ++nextSendSequence_;
    ++sentCount_;
    ++stats_.sent;
    return datagram;
}

UdptlPacket UdptlSession::buildPacket(std::span<const uint8_t> ifp) {
    UdptlPacket packet;
    packet.sequence = nextSendSequence_;
    packet.primary.assign(ifp.begin(), ifp.end());
    switch (options_.errorCorrection) {
        case UdptlErrorCorrection::kNone:
            break;
        case UdptlErrorCorrection::kRedundancy:
            addRedundancy(packet);
            break;
        case UdptlErrorCorrection::kFec:
            addFec(packet);
            break;
    }
    return packet;
}

const std::vector<uint8_t>* UdptlSession::sentIfp(uint16_t sequence) const {
    const int age = distance(nextSendSequence_, sequence);
    if (age < 1 || age > kMaxFecPackets || static_cast<uint64_t>(age) > sentCount_) return nullptr;
    const SentIfp& sent = sentHistory_[sequence % kMaxFecPackets];
    return sent.sequence == sequence ? &sent.ifp : nullptr;
}

void UdptlSession::addRedundancy(UdptlPacket& packet) const {
    for (int back = 1; back <= options_.redundancyDepth; ++back) {
        const std::vector<uint8_t>* earlier =
            sentIfp(static_cast<uint16_t>(packet.sequence - back));
        if (earlier == nullptr) break;
        packet.secondaries.push_back(*earlier);
    }
    while (!packet.secondaries.empty() && udptlPacketBytes(packet) > options_.maxDatagramBytes) {
        packet.secondaries.pop_back();  // the oldest copy goes first
    }
}

void UdptlSession::addFec(UdptlPacket& packet) const {
    packet.recovery = UdptlRecoveryKind::kFec;
    const auto span = static_cast<uint64_t>(options_.fecSpan);
    packet.fecSpan = static_cast<uint32_t>(span);
    // While fewer than span * entries packets were sent, fewer entries cover what there is.
    int entries = static_cast<int>(
        std::min<uint64_t>(static_cast<uint64_t>(options_.fecEntries), sentCount_ / span));
    for (; entries >= 0; --entries) {
        packet.fecEntries.assign(static_cast<std::size_t>(entries), {});
        for (int m = 0; m < entries; ++m) {
            std::vector<uint8_t>& parity = packet.fecEntries[static_cast<std::size_t>(m)];
            for (int k = 1; k <= options_.fecSpan; ++k) {
                const auto covered = static_cast<uint16_t>(packet.sequence + m - entries * k);
                const std::vector<uint8_t>& ifp = *sentIfp(covered);  // within the history
                if (parity.size() < ifp.size()) parity.resize(ifp.size(), 0);
                for (std::size_t j = 0; j < ifp.size(); ++j) parity[j] ^= ifp[j];
            }
        }
        if (udptlPacketBytes(packet) <= options_.maxDatagramBytes) return;
    }
}

// ---- receiving ----

const UdptlSession::Slot* UdptlSession::packetAt(uint16_t sequence) const {
    const Slot& s = slots_[sequence % kWindow];
    const bool present = s.state == SlotState::kHeld || s.state == SlotState::kDelivered;
    return present && s.sequence == sequence ? &s : nullptr;
}

bool UdptlSession::storeIfAbsent(uint16_t sequence, const std::vector<uint8_t>& ifp,
                                 IfpOrigin origin) {
    if (packetAt(sequence) != nullptr) return false;
    Slot& s = slot(sequence);
    s.sequence = sequence;
    s.state = SlotState::kHeld;
    s.ifp = ifp;
    s.origin = origin;
    return true;
}

void UdptlSession::start(const UdptlPacket& packet) {
    started_ = true;
    highest_ = packet.sequence;
    // Packets copied into the first datagram received are older ones nobody delivered yet.
    const std::size_t copies = std::min<std::size_t>(packet.secondaries.size(),
                                                     static_cast<std::size_t>(kMaxSequenceJump));
    nextDeliver_ = static_cast<uint16_t>(packet.sequence - copies);
    heldTicks_ = 0;
}

void UdptlSession::restart(const UdptlPacket& packet, std::vector<ReceivedIfp>& delivered) {
    deliver(delivered, true);
    ++stats_.restarts;
    slots_.fill({});
    fecRecords_.fill({});
    start(packet);
}

UdptlParseError UdptlSession::receive(std::span<const uint8_t> datagram,
                                      std::vector<ReceivedIfp>& delivered) {
    UdptlParseResult parsed = parseUdptlPacket(datagram);
    if (!parsed.ok()) {
        ++stats_.malformed;
        return parsed.error;
    }
    ++stats_.received;
    const UdptlPacket& packet = parsed.packet;
    if (!started_) {
        start(packet);
    } else {
        const int ahead = distance(packet.sequence, nextDeliver_);
        if (ahead > kMaxSequenceJump || ahead < -kMaxSequenceJump) {
            restart(packet, delivered);
        } else if (ahead < 0) {
            const Slot& s = slots_[packet.sequence % kWindow];
            const bool givenUp = s.sequence == packet.sequence && s.state == SlotState::kLost;
            ++(givenUp ? stats_.late : stats_.duplicates);
            return UdptlParseError::kNone;
        }
    }

    if (!storeIfAbsent(packet.sequence, packet.primary, IfpOrigin::kPrimary)) ++stats_.duplicates;
    if (distance(packet.sequence, highest_) > 0) highest_ = packet.sequence;

    holdPackets_ = options_.reorderHoldPackets;
    if (packet.recovery == UdptlRecoveryKind::kSecondaryPackets) {
        uint16_t sequence = packet.sequence;
        for (const std::vector<uint8_t>& copy : packet.secondaries) {
            --sequence;
            if (distance(sequence, nextDeliver_) < 0) break;  // delivered or given up already
            storeIfAbsent(sequence, copy, IfpOrigin::kRedundancy);
        }
    } else {
        FecRecord& record = fecRecords_[packet.sequence % kWindow];
        const uint64_t group = static_cast<uint64_t>(packet.fecSpan) * packet.fecEntries.size();
        record = {};
        if (packet.fecSpan > 0 && group > 0 && group <= static_cast<uint64_t>(kMaxFecPackets)) {
            record = {packet.sequence, true, packet.fecSpan, packet.fecEntries};
        }
        // Later parity can still rebuild a packet until a group's worth of newer ones
        // arrived. While the far end winds its parity up, its groups are smaller than the
        // negotiated ones that will follow.
        uint64_t expectedGroup = record.valid ? group : 0;
        if (options_.errorCorrection == UdptlErrorCorrection::kFec) {
            expectedGroup = std::max<uint64_t>(
                expectedGroup, static_cast<uint64_t>(options_.fecSpan * options_.fecEntries));
        }
        if (expectedGroup > 0) holdPackets_ += static_cast<int>(expectedGroup) - 1;
    }
    recoverFromFec();
    deliver(delivered, false);
    return UdptlParseError::kNone;
}

bool UdptlSession::recoverEntry(const FecRecord& record, std::size_t entry) {
    const int entries = static_cast<int>(record.entries.size());
    const auto first = static_cast<uint16_t>(record.sequence + static_cast<int>(entry));
    uint16_t missing = 0;
    int missingCount = 0;
    for (uint32_t k = 1; k <= record.span; ++k) {
        const auto covered = static_cast<uint16_t>(first - entries * static_cast<int>(k));
        if (packetAt(covered) != nullptr) continue;
        // Given up or no longer in the window: neither worth rebuilding nor usable.
        if (distance(covered, nextDeliver_) < 0) return false;
        missing = covered;
        if (++missingCount > 1) return false;
    }
    if (missingCount != 1) return false;
    std::vector<uint8_t> rebuilt = record.entries[entry];
    for (uint32_t k = 1; k <= record.span; ++k) {
        const auto covered = static_cast<uint16_t>(first - entries * static_cast<int>(k));
        if (covered == missing) continue;
        const std::vector<uint8_t>& ifp = packetAt(covered)->ifp;
        if (ifp.size() > rebuilt.size()) return false;  // parity shorter than its packets
        for (std::size_t j = 0; j < ifp.size(); ++j) rebuilt[j] ^= ifp[j];
    }
    if (rebuilt.empty()) return false;
    // The parity is as long as the longest packet of its group, so a shorter packet comes
    // back with zero octets at its end: T.38 FEC carries no lengths.
    storeIfAbsent(missing, rebuilt, IfpOrigin::kFec);
    return true;
}

void UdptlSession::recoverFromFec() {
    if (!started_) return;
    // A record can only rebuild packets older than itself, and only those not yet due.
    bool progress = true;
    while (progress) {
        progress = false;
        const int newest = distance(highest_, nextDeliver_);
        for (int offset = 1; offset <= newest; ++offset) {
            const auto sequence = static_cast<uint16_t>(nextDeliver_ + offset);
            const FecRecord& record = fecRecords_[sequence % kWindow];
            if (!record.valid || record.sequence != sequence) continue;
            for (std::size_t entry = 0; entry < record.entries.size(); ++entry) {
                if (recoverEntry(record, entry)) progress = true;
            }
        }
    }
}

void UdptlSession::deliver(std::vector<ReceivedIfp>& delivered, bool giveUpAllGaps) {
    if (!started_) return;
    bool progressed = false;
    while (distance(highest_, nextDeliver_) >= 0) {
        Slot& s = slot(nextDeliver_);
        if (s.sequence == nextDeliver_ && s.state == SlotState::kHeld) {
            delivered.push_back({nextDeliver_, s.ifp, s.origin});
            s.state = SlotState::kDelivered;
            ++stats_.delivered;
            if (s.origin == IfpOrigin::kRedundancy) ++stats_.recoveredRedundancy;
            if (s.origin == IfpOrigin::kFec) ++stats_.recoveredFec;
        } else {
            if (!giveUpAllGaps && distance(highest_, nextDeliver_) <= holdPackets_) break;
            s.sequence = nextDeliver_;
            s.state = SlotState::kLost;
            s.ifp.clear();
            ++stats_.lost;
        }
        ++nextDeliver_;
        progressed = true;
    }
    if (progressed) heldTicks_ = 0;
}

void UdptlSession::tick(std::vector<ReceivedIfp>& delivered) {
    if (!started_ || distance(highest_, nextDeliver_) < 0) {
        heldTicks_ = 0;
        return;
    }
    if (++heldTicks_ >= options_.maxHoldTicks) deliver(delivered, true);
}

}  // namespace faxgate::node::t38
