// A T.30 fax session over audio with SpanDSP (see t30_audio_session.h). SpanDSP 0.0.6 facts
// used here (checked with two sessions back to back, see FIELD-NOTES.md):
// - the phase B handler runs when the far end's DIS (at the caller) or DCS (at the
//   answerer) arrives: from then on the far end is known to be a fax machine;
// - t30_stats_t.pages_tx counts pages the receiver confirmed with MCF, pages_rx the pages
//   received and accepted;
// - a caller that hears no answer ends with T30_ERR_T0_EXPIRED after 60 s of samples, an
//   answerer that hears no caller with T30_ERR_T1_EXPIRED after 35 s;
// - t30_terminate() runs the phase E handler at once, with T30_ERR_CALLDROPPED when the
//   session was still in progress; a partly received document keeps its complete pages.
#include "faxnode/fax/t30_audio_session.h"

#include <spandsp.h>

#include <algorithm>
#include <stdexcept>

#include "faxnode/fax/t30_setup.h"

namespace faxgate::node::fax {

namespace {

bool printable(const std::string& text) {
    return std::all_of(text.begin(), text.end(),
                       [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
}

}  // namespace

std::string validateT30Settings(const T30Settings& settings) {
    if (settings.stationId.size() > T30_MAX_IDENT_LEN || !printable(settings.stationId)) {
        return "stationId: at most " + std::to_string(T30_MAX_IDENT_LEN) +
               " printable ASCII characters";
    }
    if (settings.headerInfo.size() > T30_MAX_PAGE_HEADER_INFO || !printable(settings.headerInfo)) {
        return "headerInfo: at most " + std::to_string(T30_MAX_PAGE_HEADER_INFO) +
               " printable ASCII characters";
    }
    if (settings.maxBitRate < 2400) return "maxBitRate: at least 2400";
    return {};
}

T30AudioSession::T30AudioSession(FaxRole role, const T30Settings& settings,
                                 const std::string& tiffPath)
    : role_(role) {
    if (const std::string error = validateT30Settings(settings); !error.empty()) {
        throw std::invalid_argument("T.30 settings: " + error);
    }
    const bool calling = role == FaxRole::kCaller;
    fax_ = fax_init(nullptr, calling);
    if (fax_ == nullptr) throw std::runtime_error("SpanDSP: fax_init failed");
    t30_ = fax_get_t30_state(fax_);
    result_.role = role;
    // Always produce a full block, silence when the modems have nothing to say.
    fax_set_transmit_on_idle(fax_, 1);

    documentPages_ = configureT30(t30_, role, settings, tiffPath);
    t30_set_phase_b_handler(t30_, &T30AudioSession::onPhaseB, this);
    t30_set_phase_e_handler(t30_, &T30AudioSession::onPhaseE, this);
}

T30AudioSession::~T30AudioSession() {
    // Ending the session first runs phase E while this object is still whole, and closes
    // the received TIFF properly.
    hangUp();
    fax_free(fax_);
}

void T30AudioSession::processAudio(const int16_t* rx, int16_t* tx) {
    if (!finished_) {
        if (rx != nullptr) {
            std::copy(rx, rx + kSamplesPerBlock, rxBlock_);
            fax_rx(fax_, rxBlock_, kSamplesPerBlock);
        } else {
            fax_rx_fillin(fax_, kSamplesPerBlock);
        }
    }
    int produced = 0;
    if (!finished_) produced = std::max(0, fax_tx(fax_, tx, kSamplesPerBlock));
    std::fill(tx + produced, tx + kSamplesPerBlock, int16_t{0});
}

void T30AudioSession::hangUp() {
    if (finished_) return;
    t30_terminate(t30_);
    // t30_terminate() runs phase E only for a session in progress; one that never started
    // ends here.
    if (!finished_) finish(T30_ERR_CALLDROPPED);
}

int T30AudioSession::pagesSoFar() const {
    t30_stats_t stats;
    t30_get_transfer_statistics(t30_, &stats);
    return role_ == FaxRole::kCaller ? stats.pages_tx : stats.pages_rx;
}

int T30AudioSession::onPhaseB(t30_state_s* /*t30*/, void* self, int /*frameType*/) {
    static_cast<T30AudioSession*>(self)->result_.faxPeerSeen = true;
    return T30_ERR_OK;
}

void T30AudioSession::onPhaseE(t30_state_s* /*t30*/, void* self, int completionCode) {
    static_cast<T30AudioSession*>(self)->finish(completionCode);
}

void T30AudioSession::finish(int completionCode) {
    if (finished_) return;
    readT30Result(t30_, completionCode, documentPages_, result_);
    finished_ = true;
}

}  // namespace faxgate::node::fax
