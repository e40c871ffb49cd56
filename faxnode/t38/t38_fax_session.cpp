// A T.30 fax session over T.38 with SpanDSP's t38_terminal (see t38_fax_session.h). SpanDSP
// 0.0.6 facts used here (checked with two sessions back to back, tests/faxnode/t38/):
// - t38_terminal_send_timeout(s, samples) runs the T.30 timers and paces the transmission
//   of image data; the tx packet handler is called from inside it with each IFP packet and
//   how many times to send it;
// - t38_core_rx_ifp_packet(core, buf, len, seq) takes the far end's packets; it drops a
//   packet numbered one below the last one (a repeat) and reports numbers it skipped to the
//   terminal as missing data; it returns -1 for a packet it cannot decode;
// - the T.30 engine inside behaves as with fax_state_t (t30_setup.h, docs/sip-line.md).
#include "faxnode/t38/t38_fax_session.h"

#include <spandsp.h>

#include <algorithm>
#include <stdexcept>

#include "faxnode/fax/t30_setup.h"
#include "faxnode/t38/ifp_packet.h"

namespace faxgate::node::t38 {

namespace {

constexpr int kMinBitRate = 2400;
constexpr int kMaxT38Version = 3;
constexpr int kMaxDatagramBytes = 65507;

}  // namespace

std::string validateT38Options(const T38Options& options) {
    if (options.version < 0 || options.version > kMaxT38Version) {
        return "version: 0 to " + std::to_string(kMaxT38Version);
    }
    if (options.maxBitRate < kMinBitRate) return "maxBitRate: at least 2400";
    const int minBytes = static_cast<int>(kMinDatagramBytes);  // from udptl_session.h
    if (options.maxBufferBytes < minBytes) return "maxBufferBytes: at least 72";
    if (options.maxDatagramBytes < minBytes || options.maxDatagramBytes > kMaxDatagramBytes) {
        return "maxDatagramBytes: 72 to 65507";
    }
    return {};
}

T38FaxSession::T38FaxSession(fax::FaxRole role, const fax::T30Settings& settings,
                             const T38Options& options, const std::string& tiffPath) {
    if (const std::string error = fax::validateT30Settings(settings); !error.empty()) {
        throw std::invalid_argument("T.30 settings: " + error);
    }
    if (const std::string error = validateT38Options(options); !error.empty()) {
        throw std::invalid_argument("T.38 options: " + error);
    }
    const bool calling = role == fax::FaxRole::kCaller;
    terminal_ = t38_terminal_init(nullptr, calling, &T38FaxSession::onTxPacket, this);
    if (terminal_ == nullptr) throw std::runtime_error("SpanDSP: t38_terminal_init failed");
    core_ = t38_terminal_get_t38_core_state(terminal_);
    t30_ = t38_terminal_get_t30_state(terminal_);
    result_.role = role;

    // Paced transmission with indicators: what a UDP transport needs (TCP would not pace).
    t38_terminal_set_config(terminal_, 0);
    t38_terminal_set_tep_mode(terminal_, false);
    t38_terminal_set_fill_bit_removal(terminal_, options.fillBitRemoval);
    version_ = options.version;
    t38_set_t38_version(core_, options.version);
    t38_set_data_rate_management_method(core_,
                                        options.rateManagement == T38RateManagement::kLocalTcf
                                            ? T38_DATA_RATE_MANAGEMENT_LOCAL_TCF
                                            : T38_DATA_RATE_MANAGEMENT_TRANSFERRED_TCF);
    t38_set_max_buffer_size(core_, options.maxBufferBytes);
    t38_set_max_datagram_size(core_, options.maxDatagramBytes);
    const int bitRate = std::min({settings.maxBitRate, options.maxBitRate, 14400});
    t38_set_fastest_image_data_rate(core_, bitRate);

    fax::T30Settings limited = settings;
    limited.maxBitRate = bitRate;
    documentPages_ = fax::configureT30(t30_, role, limited, tiffPath);
    t30_set_phase_b_handler(t30_, &T38FaxSession::onPhaseB, this);
    t30_set_phase_e_handler(t30_, &T38FaxSession::onPhaseE, this);
}

T38FaxSession::~T38FaxSession() {
    // Ending the session first runs phase E while this object is still whole, and closes
    // the received TIFF properly.
    hangUp();
    t38_terminal_free(terminal_);
}

void T38FaxSession::receiveIfp(uint16_t sequence, std::span<const uint8_t> ifp) {
    if (finished_ || ifp.empty()) return;
    if (t38_core_rx_ifp_packet(core_, ifp.data(), static_cast<int>(ifp.size()), sequence) < 0) {
        ++refusedIfps_;
    }
}

void T38FaxSession::receive(const ReceivedIfp& delivered) {
    const std::span<const uint8_t> ifp(delivered.ifp);
    receiveIfp(delivered.sequence,
               delivered.origin == IfpOrigin::kFec ? withoutZeroPadding(ifp, version_) : ifp);
}

void T38FaxSession::tick() {
    if (!finished_) t38_terminal_send_timeout(terminal_, kSamplesPerTick);
}

std::vector<OutgoingIfp> T38FaxSession::takeOutgoing() {
    std::vector<OutgoingIfp> taken;
    taken.swap(outgoing_);
    return taken;
}

void T38FaxSession::hangUp() {
    if (finished_) return;
    t30_terminate(t30_);
    // t30_terminate() runs phase E only for a session in progress; one that never started
    // ends here.
    if (!finished_) finish(T30_ERR_CALLDROPPED);
}

int T38FaxSession::pagesSoFar() const {
    t30_stats_t stats;
    t30_get_transfer_statistics(t30_, &stats);
    return result_.role == fax::FaxRole::kCaller ? stats.pages_tx : stats.pages_rx;
}

int T38FaxSession::onTxPacket(t38_core_state_s* /*core*/, void* self, const uint8_t* buf, int len,
                              int count) {
    auto* session = static_cast<T38FaxSession*>(self);
    if (session->finished_ || len <= 0 || count <= 0) return 0;
    session->outgoing_.push_back({std::vector<uint8_t>(buf, buf + len), count});
    return 0;
}

int T38FaxSession::onPhaseB(t30_state_s* /*t30*/, void* self, int /*frameType*/) {
    static_cast<T38FaxSession*>(self)->result_.faxPeerSeen = true;
    return T30_ERR_OK;
}

void T38FaxSession::onPhaseE(t30_state_s* /*t30*/, void* self, int completionCode) {
    static_cast<T38FaxSession*>(self)->finish(completionCode);
}

void T38FaxSession::finish(int completionCode) {
    if (finished_) return;
    fax::readT30Result(t30_, completionCode, documentPages_, result_);
    finished_ = true;
}

}  // namespace faxgate::node::t38
