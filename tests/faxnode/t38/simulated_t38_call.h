// Runs two T.38 fax sessions against each other in simulated time, one 20 ms tick per step,
// with no sockets and no wall clock, the way a SIP call carries T.38: each side's IFP packets
// go through its UdptlSession into datagrams, across a simulated network that can drop,
// duplicate and delay them (a random delay of 1..1+jitterTicks ticks, so datagrams also
// overtake each other), into the far side's UdptlSession, whose deliveries feed the far
// session. Side 0 is the first session given, side 1 the second; a missing second session
// (nullptr) is a call nobody answers.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <random>
#include <utility>
#include <vector>

#include "faxnode/t38/t38_fax_session.h"
#include "faxnode/t38/udptl_session.h"

namespace faxgate::node::t38::testing {

struct T38Link {
    UdptlOptions udptl;                           // what both sides send and accept
    std::array<uint16_t, 2> firstSequence{0, 0};  // of each side's first datagram
    double lossRate = 0;                          // share of datagrams dropped
    double duplicateRate = 0;                     // share of datagrams delivered twice
    int jitterTicks = 0;                          // extra random delay, 0..jitterTicks ticks
    unsigned seed = 1;                            // for the network's random choices
};

// One direction of the network.
class SimulatedUdpPath {
  public:
    SimulatedUdpPath(const T38Link& link, unsigned seed) : link_(link), random_(seed) {}

    void send(std::vector<uint8_t> datagram, int now) {
        std::uniform_real_distribution<double> chance(0, 1);
        if (chance(random_) < link_.lossRate) return;
        const int copies = chance(random_) < link_.duplicateRate ? 2 : 1;
        for (int i = 0; i < copies; ++i) {
            const int delay = 1 + std::uniform_int_distribution<int>(0, link_.jitterTicks)(random_);
            inFlight_.push_back({now + delay, order_++, datagram});
        }
    }

    // The datagrams due at `now`, in arrival order.
    std::vector<std::vector<uint8_t>> arrive(int now) {
        std::stable_sort(inFlight_.begin(), inFlight_.end(),
                         [](const InFlight& a, const InFlight& b) { return a.due < b.due; });
        std::vector<std::vector<uint8_t>> due;
        auto firstLater = std::find_if(inFlight_.begin(), inFlight_.end(),
                                       [now](const InFlight& f) { return f.due > now; });
        for (auto it = inFlight_.begin(); it != firstLater; ++it)
            due.push_back(std::move(it->bytes));
        inFlight_.erase(inFlight_.begin(), firstLater);
        return due;
    }

  private:
    struct InFlight {
        int due;
        uint64_t order;
        std::vector<uint8_t> bytes;
    };
    T38Link link_;
    std::mt19937 random_;
    std::vector<InFlight> inFlight_;
    uint64_t order_ = 0;
};

class SimulatedT38Call {
  public:
    SimulatedT38Call(T38FaxSession& caller, T38FaxSession* answerer, const T38Link& link = {})
        : sessions_{&caller, answerer},
          udptl_{UdptlSession(link.udptl, link.firstSequence[0]),
                 UdptlSession(link.udptl, link.firstSequence[1])},
          paths_{SimulatedUdpPath(link, link.seed), SimulatedUdpPath(link, link.seed + 1)} {}

    // Runs until both sessions finished or maxTicks passed; `onTick(tick)` runs before each
    // tick. Returns the ticks run.
    int run(int maxTicks, const std::function<void(int)>& onTick = {}) {
        int tick = 0;
        for (; tick < maxTicks && !allFinished(); ++tick) {
            if (onTick) onTick(tick);
            step(tick);
        }
        return tick;
    }

    // Drops everything side 0 (caller) or 1 (answerer) sends from now on: the line is cut.
    void mute(int side) { muted_[side] = true; }
    // Called with every datagram as it is sent (before the network drops any), with the tick.
    void observeDatagrams(std::function<void(int side, int tick, const std::vector<uint8_t>&)> f) {
        observer_ = std::move(f);
    }
    const UdptlSession& udptl(int side) const { return udptl_[side]; }
    // IFP packets side `side` sent (copies included).
    uint64_t ifpSent(int side) const { return ifpSent_[side]; }

  private:
    bool allFinished() const {
        return sessions_[0]->finished() && (sessions_[1] == nullptr || sessions_[1]->finished());
    }

    void step(int now) {
        for (int side = 0; side < 2; ++side) {
            if (sessions_[side] == nullptr) continue;
            sessions_[side]->tick();
            for (const OutgoingIfp& out : sessions_[side]->takeOutgoing()) {
                for (int copy = 0; copy < out.copies; ++copy) {
                    std::vector<uint8_t> datagram = udptl_[side].send(out.ifp);
                    ++ifpSent_[side];
                    if (observer_) observer_(side, now, datagram);
                    if (!muted_[side]) paths_[side].send(std::move(datagram), now);
                }
            }
        }
        for (int side = 0; side < 2; ++side) {
            const int from = 1 - side;
            std::vector<ReceivedIfp> delivered;
            for (const auto& datagram : paths_[from].arrive(now)) {
                udptl_[side].receive(datagram, delivered);
            }
            udptl_[side].tick(delivered);
            if (sessions_[side] == nullptr) continue;
            for (const ReceivedIfp& r : delivered) sessions_[side]->receive(r);
        }
    }

    std::array<T38FaxSession*, 2> sessions_;
    std::array<UdptlSession, 2> udptl_;
    std::array<SimulatedUdpPath, 2> paths_;
    std::array<bool, 2> muted_{};
    std::array<uint64_t, 2> ifpSent_{};
    std::function<void(int, int, const std::vector<uint8_t>&)> observer_;
};

}  // namespace faxgate::node::t38::testing
