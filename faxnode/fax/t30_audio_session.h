// One fax call's T.30 session over audio (G.711 on a SIP call, later), run by SpanDSP's
// fax_state_t: the V.21 signalling and the V.17/V.29/V.27ter image modems on 8 kHz samples.
// The caller transmits a TIFF, the answerer receives into a TIFF. The line driver feeds one
// 20 ms block of 160 received samples per tick and sends the 160 samples the session gives
// back; SpanDSP's timers run on those samples, so the session keeps no clock of its own and
// a test can run a whole call faster than real time. When the session ends (phase E) its
// result says how many pages the far end confirmed and what that means for the record
// (t30_result.h).
//
// Invariant: once finished() is true, result() no longer changes and processAudio() only
// sends silence. Not thread-safe: one media thread owns a session from construction to
// destruction (SpanDSP calls the phase handlers from inside processAudio()/hangUp()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "faxnode/fax/t30_result.h"

struct fax_state_s;
struct t30_state_s;

namespace faxgate::node::fax {

// The fax settings of a line, as the session needs them (the line driver fills this from its
// line's configuration).
struct T30Settings {
    std::string stationId;   // our TSI (sending) or CSID (receiving): at most 20 characters
    std::string headerInfo;  // text printed on top of every sent page; empty: no header line
    bool ecm = true;         // offer/accept error correction mode
    // Highest image bit rate: 12000 or more allows V.17 (and V.29, V.27ter); 7200 or 9600
    // V.29 and V.27ter; 2400 or 4800 V.27ter only. SpanDSP 0.0.6 has no V.34, so anything
    // above 14400 means 14400.
    int maxBitRate = 14400;
    bool fineResolution = true;        // 204x196 dpi besides standard 204x98
    bool superfineResolution = false;  // 204x392 dpi
    bool t4TwoDimensional = true;      // T.4 2-D (MR) besides 1-D (MH)
    bool t6 = true;                    // T.6 (MMR); only used with ECM
};

// Empty when the settings can be used, else what is wrong, naming the field.
std::string validateT30Settings(const T30Settings& settings);

class T30AudioSession {
  public:
    static constexpr std::size_t kSamplesPerBlock = 160;  // 20 ms at 8 kHz

    // `tiffPath`: the caller's document to send (G3/G4 TIFF/F, 1728 px wide), or the file the
    // answerer receives into (created or replaced). Throws std::invalid_argument for settings
    // validateT30Settings() refuses, std::runtime_error when SpanDSP cannot start a session.
    // A document that cannot be read is not an exception: the session fails with SpanDSP's
    // file error once it tries to send it.
    T30AudioSession(FaxRole role, const T30Settings& settings, const std::string& tiffPath);
    ~T30AudioSession();
    T30AudioSession(const T30AudioSession&) = delete;
    T30AudioSession& operator=(const T30AudioSession&) = delete;

    // One 20 ms tick: `rx` is the block received from the far end, or nullptr when that
    // block was lost (the modems bridge the gap instead of hearing silence); `tx` receives
    // the block to send. Both hold kSamplesPerBlock samples.
    void processAudio(const int16_t* rx, int16_t* tx);

    // The call ended from outside (BYE, cancel, RTP gone): the session ends now, with
    // SpanDSP's "call dropped" unless it had already finished.
    void hangUp();

    FaxRole role() const { return role_; }
    bool finished() const { return finished_; }
    // Pages confirmed by the far end (caller) or received (answerer) so far.
    int pagesSoFar() const;
    // Phase E's result; complete once finished().
    const T30Result& result() const { return result_; }
    RecordOutcome recordOutcome() const { return toRecordOutcome(result_); }

  private:
    static int onPhaseB(t30_state_s* t30, void* self, int frameType);
    static void onPhaseE(t30_state_s* t30, void* self, int completionCode);
    void finish(int completionCode);

    FaxRole role_;
    fax_state_s* fax_ = nullptr;  // owned: fax_init() .. fax_free()
    t30_state_s* t30_ = nullptr;  // inside fax_
    int documentPages_ = 0;       // caller: pages of the TIFF to send
    bool finished_ = false;
    T30Result result_;
    int16_t rxBlock_[kSamplesPerBlock];  // fax_rx() takes a non-const buffer
};

}  // namespace faxgate::node::fax
