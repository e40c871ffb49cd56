// Runs two T.30 sessions against each other in simulated time, one 20 ms tick per step, with
// no sockets and no wall clock. The audio goes either straight across (one block of delay)
// or the way a SIP call carries it: G.711 RTP packets out of an RtpStream, through a
// simulated network that can reorder packets within a window, drop or duplicate them, into
// the far end's RtpStream and jitter buffer. Side 0 is the first session given, side 1 the
// second; a missing second session (nullptr) is a call nobody answers: side 0 hears only
// silence.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <vector>

#include "faxnode/fax/t30_audio_session.h"
#include "faxnode/rtp/rtp_stream.h"

namespace faxgate::node::fax::testing {

struct SimulatedLink {
    bool throughRtp = false;
    rtp::G711Law law = rtp::G711Law::kALaw;
    rtp::JitterBufferOptions jitter;
    int reorderWindow = 1;     // packets are delivered in shuffled blocks of this many
    double lossRate = 0;       // share of packets dropped
    double duplicateRate = 0;  // share of packets delivered twice
    unsigned seed = 1;         // for the network's random choices
};

// One direction of the simulated network: collects packets into blocks of reorderWindow,
// shuffles each block and hands it over whole (so a packet waits at most window-1 ticks).
class SimulatedNetwork {
  public:
    using Packet = std::vector<uint8_t>;
    SimulatedNetwork(const SimulatedLink& link, unsigned seed) : link_(link), random_(seed) {}

    // A packet sent now; returns the packets that arrive now.
    std::vector<Packet> carry(Packet packet) {
        std::uniform_real_distribution<double> chance(0, 1);
        if (chance(random_) >= link_.lossRate) {
            if (chance(random_) < link_.duplicateRate) block_.push_back(packet);
            block_.push_back(std::move(packet));
        }
        std::vector<Packet> arriving;
        if (static_cast<int>(block_.size()) >= link_.reorderWindow) {
            std::shuffle(block_.begin(), block_.end(), random_);
            arriving.swap(block_);
        }
        return arriving;
    }

  private:
    SimulatedLink link_;
    std::mt19937 random_;
    std::vector<Packet> block_;
};

class SimulatedCall {
  public:
    using Block = std::array<int16_t, T30AudioSession::kSamplesPerBlock>;

    SimulatedCall(T30AudioSession& caller, T30AudioSession* answerer, SimulatedLink link = {})
        : link_(link),
          sessions_{&caller, answerer},
          streams_{rtp::RtpStream(link.law, {0x11111111, 1000, 5000}, link.jitter),
                   rtp::RtpStream(link.law, {0x22222222, 65500, 7000}, link.jitter)},
          networks_{SimulatedNetwork(link, link.seed), SimulatedNetwork(link, link.seed + 1)} {}

    // Runs until both sessions finished or maxTicks passed; `onTick(tick)` runs before each
    // tick (to hang up, cut the line...). Returns the ticks run.
    int run(int maxTicks, const std::function<void(int)>& onTick = {}) {
        int tick = 0;
        for (; tick < maxTicks && !allFinished(); ++tick) {
            if (onTick) onTick(tick);
            step();
        }
        return tick;
    }

    // Silences what side 0 (caller) or 1 (answerer) sends from now on: the line is cut.
    void mute(int side) { muted_[side] = true; }
    // Side `side` restarts its RTP sending with a new SSRC, sequence number and timestamp,
    // as a far end may after a re-INVITE; its receiving stream stays.
    void restartSending(int side, rtp::RtpSendOrigin origin) {
        restartedSenders_[side].emplace(link_.law, origin, link_.jitter);
    }
    const rtp::RtpStream& stream(int side) const { return streams_[side]; }

  private:
    bool allFinished() const {
        return sessions_[0]->finished() && (sessions_[1] == nullptr || sessions_[1]->finished());
    }

    void step() {
        std::array<Block, 2> sent{};
        for (int side = 0; side < 2; ++side) {
            if (sessions_[side] == nullptr) continue;
            Block heard{};
            bool lost = false;
            if (link_.throughRtp) {
                lost = streams_[side].playoutFrame(heard) == rtp::JitterBuffer::Playout::kMissing;
            } else {
                heard = lastSent_[1 - side];
            }
            sessions_[side]->processAudio(lost ? nullptr : heard.data(), sent[side].data());
            if (muted_[side]) sent[side].fill(0);
        }
        for (int side = 0; side < 2; ++side) {
            if (sessions_[side] == nullptr) continue;
            if (!link_.throughRtp) {
                lastSent_[side] = sent[side];
                continue;
            }
            SimulatedNetwork::Packet packet(rtp::RtpStream::kMaxPacketBytes);
            rtp::RtpStream& sender =
                restartedSenders_[side] ? *restartedSenders_[side] : streams_[side];
            const std::size_t bytes = sender.packFrame(
                sent[side],
                std::span<uint8_t, rtp::RtpStream::kMaxPacketBytes>(packet.data(), packet.size()));
            packet.resize(bytes);
            for (const auto& arriving : networks_[side].carry(std::move(packet))) {
                streams_[1 - side].receivePacket(arriving);
            }
        }
    }

    SimulatedLink link_;
    std::array<T30AudioSession*, 2> sessions_;
    std::array<rtp::RtpStream, 2> streams_;
    std::array<std::optional<rtp::RtpStream>, 2> restartedSenders_;
    std::array<SimulatedNetwork, 2> networks_;
    std::array<Block, 2> lastSent_{};
    std::array<bool, 2> muted_{};
};

}  // namespace faxgate::node::fax::testing
