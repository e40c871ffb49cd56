// One call's UDPTL stream (ITU-T T.38 clause 9), both directions, bytes in and bytes out:
// the T.38 session's IFP packets become numbered UDPTL datagrams carrying error recovery
// for earlier packets, and received datagrams become IFP packets handed to the T.38
// terminal in sequence order. No sockets (faxnode/rtp/rtp_socket.h carries the datagrams)
// and no clock: the owner calls tick() on its 20 ms media clock.
//
// Sending: each IFP packet gets the next sequence number (16 bits, wrapping). With
// redundancy, the datagram also carries the last `redundancyDepth` IFP packets, newest
// first; with FEC, `fecEntries` parity entries, entry m being the XOR of the `fecSpan`
// packets numbered seq + m - fecEntries * k (k = 1..fecSpan), so one lost packet in each
// group can be rebuilt. Both wind up from the first packet (fewer copies or entries while
// there is less history), and both are trimmed, oldest copies first or to fewer parity entries,
// so the datagram fits the far end's T38FaxMaxDatagram; a primary IFP packet alone larger
// than that is still sent (and counted): dropping it would lose it for certain.
//
// Receiving: whatever a datagram carries, redundancy or FEC (a peer may mix them), fills the
// places of missing packets; packets are delivered strictly in sequence order, each once.
// A missing packet holds back the ones after it only while it can still be recovered: with
// redundancy, the next datagram either carried it or did not, so it is given up at once;
// with FEC, later parity may still rebuild it until fecSpan * fecEntries newer packets have
// arrived. `reorderHoldPackets` adds patience for packets overtaken in the network, and
// `maxHoldTicks` bounds the wait when no more datagrams come (a sender that fell silent
// after the packets that followed the gap). Given-up packets are counted as lost and
// skipped: the T.38 terminal sees the gap in the sequence numbers. Copies of packets
// already delivered are dropped; a jump of more than kMaxSequenceJump numbers is taken as
// the far end restarting its stream.
//
// Not thread-safe: one media thread owns a session.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "faxnode/t38/udptl_packet.h"

namespace faxgate::node::t38 {

// What this side sends (SDP T38FaxUdpEC: t38UDPNoEC, t38UDPRedundancy, t38UDPFEC).
enum class UdptlErrorCorrection { kNone, kRedundancy, kFec };

struct UdptlOptions {
    UdptlErrorCorrection errorCorrection = UdptlErrorCorrection::kRedundancy;
    // kRedundancy: earlier IFP packets copied into each datagram (1..kMaxRedundancyDepth).
    int redundancyDepth = 3;
    // kFec: packets XORed into one parity entry, and entries per datagram; a group spans
    // fecSpan * fecEntries packets (at most kMaxFecPackets).
    int fecSpan = 3;
    int fecEntries = 3;
    // The far end's largest datagram (SDP T38FaxMaxDatagram): error recovery is trimmed to
    // fit it. 400 is a common offer; 72 is the smallest T.38 allows for.
    std::size_t maxDatagramBytes = 400;
    // Extra packets to wait for a missing one that may only have been overtaken.
    int reorderHoldPackets = 0;
    // Ticks a missing packet may hold back later ones when no datagram arrives (5 = 100 ms).
    int maxHoldTicks = 5;
};

inline constexpr int kMaxRedundancyDepth = 16;
inline constexpr int kMaxFecPackets = 64;     // fecSpan * fecEntries, sending or receiving
inline constexpr int kMaxSequenceJump = 128;  // beyond: the far end restarted its stream
inline constexpr std::size_t kMinDatagramBytes = 72;

// Empty when the options can be used, else what is wrong, naming the field.
std::string validateUdptlOptions(const UdptlOptions& options);

// Where a delivered IFP packet came from.
enum class IfpOrigin {
    kPrimary,     // its own datagram
    kRedundancy,  // a copy in a later datagram
    kFec,         // rebuilt from parity: zero-padded to the longest packet of its group
};

// An IFP packet for the T.38 terminal, with its UDPTL sequence number.
struct ReceivedIfp {
    uint16_t sequence = 0;
    std::vector<uint8_t> ifp;
    IfpOrigin origin = IfpOrigin::kPrimary;
    bool recovered() const { return origin != IfpOrigin::kPrimary; }
};

struct UdptlStats {
    uint64_t sent = 0;                 // datagrams built
    uint64_t oversize = 0;             // datagrams over maxDatagramBytes (primary alone too big)
    uint64_t received = 0;             // datagrams parsed
    uint64_t malformed = 0;            // datagrams the parser refused
    uint64_t delivered = 0;            // IFP packets handed over
    uint64_t recoveredRedundancy = 0;  // of them, taken from a secondary copy
    uint64_t recoveredFec = 0;         // of them, rebuilt from parity
    uint64_t lost = 0;                 // sequence numbers given up
    uint64_t duplicates = 0;           // primaries already delivered (or held)
    uint64_t late = 0;                 // primaries whose number was already given up
    uint64_t restarts = 0;             // sequence jumps taken as a new stream
};

class UdptlSession {
  public:
    // Throws std::invalid_argument for options validateUdptlOptions() refuses.
    // `firstSequence`: the number of the first datagram sent (0 by convention).
    explicit UdptlSession(const UdptlOptions& options, uint16_t firstSequence = 0);

    // The datagram carrying `ifp` as the next primary packet; empty (nothing sent, nothing
    // numbered) when `ifp` is empty.
    std::vector<uint8_t> send(std::span<const uint8_t> ifp);

    // Takes one received datagram; appends to `delivered` the IFP packets now due, in
    // sequence order. Returns the parser's verdict (malformed datagrams change nothing).
    UdptlParseError receive(std::span<const uint8_t> datagram, std::vector<ReceivedIfp>& delivered);

    // One tick of the owner's media clock: a missing packet that has held back later ones
    // for maxHoldTicks ticks is given up, and what it held back is appended to `delivered`.
    void tick(std::vector<ReceivedIfp>& delivered);

    const UdptlStats& stats() const { return stats_; }
    const UdptlOptions& options() const { return options_; }

  private:
    static constexpr std::size_t kWindow = 256;  // > kMaxSequenceJump + kMaxFecPackets

    enum class SlotState { kEmpty, kHeld, kDelivered, kLost };
    struct Slot {
        uint16_t sequence = 0;
        SlotState state = SlotState::kEmpty;
        std::vector<uint8_t> ifp;
        IfpOrigin origin = IfpOrigin::kPrimary;
    };
    // The parity a received datagram carried, kept to rebuild packets that arrive missing
    // only later.
    struct FecRecord {
        uint16_t sequence = 0;
        bool valid = false;
        uint32_t span = 0;
        std::vector<std::vector<uint8_t>> entries;
    };
    struct SentIfp {
        uint16_t sequence = 0;
        std::vector<uint8_t> ifp;
    };

    UdptlPacket buildPacket(std::span<const uint8_t> ifp);
    void addRedundancy(UdptlPacket& packet) const;
    void addFec(UdptlPacket& packet) const;
    const std::vector<uint8_t>* sentIfp(uint16_t sequence) const;

    Slot& slot(uint16_t sequence) { return slots_[sequence % kWindow]; }
    // The slot of `sequence` if it still holds that number's packet (held or delivered).
    const Slot* packetAt(uint16_t sequence) const;
    bool storeIfAbsent(uint16_t sequence, const std::vector<uint8_t>& ifp, IfpOrigin origin);
    void start(const UdptlPacket& packet);
    void restart(const UdptlPacket& packet, std::vector<ReceivedIfp>& delivered);
    void recoverFromFec();
    bool recoverEntry(const FecRecord& record, std::size_t entry);
    void deliver(std::vector<ReceivedIfp>& delivered, bool giveUpAllGaps);

    UdptlOptions options_;
    UdptlStats stats_;

    // Sending: the next number, and the last packets sent for redundancy and parity.
    uint16_t nextSendSequence_;
    uint64_t sentCount_ = 0;
    std::array<SentIfp, kMaxFecPackets> sentHistory_;

    // Receiving: every number before nextDeliver_ is delivered or given up; highest_ is the
    // newest number seen. Invariant once started_: 0 <= highest_ - nextDeliver_ + 1 and
    // the span between them fits the window.
    bool started_ = false;
    uint16_t nextDeliver_ = 0;
    uint16_t highest_ = 0;
    int holdPackets_ = 0;  // how far past a gap the newest packet may be before it is given up
    int heldTicks_ = 0;
    std::array<Slot, kWindow> slots_;
    std::array<FecRecord, kWindow> fecRecords_;
};

}  // namespace faxgate::node::t38
