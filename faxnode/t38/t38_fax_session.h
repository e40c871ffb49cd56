// One fax call's T.30 session over T.38 (fax over IP without audio), run by SpanDSP's
// t38_terminal: the T.30 engine talks in IFP packets (indicators for the signals a modem
// would send, and data packets for HDLC frames and image data) instead of samples. The
// caller transmits a TIFF, the answerer receives into a TIFF, with the same T30Settings as
// the audio session and the same phase E result (t30_result.h), so the line driver maps a
// T.38 call to its record exactly as an audio call.
//
// Bytes in, bytes out: the driver hands over the far end's IFP packets in sequence order
// (UdptlSession's delivery), calls tick() every 20 ms, and sends what takeOutgoing() returns
// through its UdptlSession, each packet `copies` times (SpanDSP repeats indicators and the
// ends of frames on unreliable transports; the copies get their own sequence numbers and the
// far end's terminal drops the repeats). SpanDSP's timers and its pacing of image data run
// on the ticks (160 samples each), so a test runs a whole call faster than real time.
//
// Invariant: once finished() is true, result() no longer changes, received packets are
// ignored and nothing more is queued. Not thread-safe: one media thread owns a session
// (SpanDSP calls the handlers from inside receiveIfp()/tick()/hangUp()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "faxnode/fax/t30_audio_session.h"
#include "faxnode/fax/t30_result.h"
#include "faxnode/t38/udptl_session.h"

struct t38_terminal_state_s;
struct t38_core_state_s;
struct t30_state_s;

namespace faxgate::node::t38 {

// How the training check (TCF) reaches the receiver (SDP T38FaxRateManagement).
enum class T38RateManagement {
    kTransferredTcf,  // transferredTCF: sent through as data (the usual method over UDP)
    kLocalTcf,        // localTCF: the receiving side makes it up (for TCP)
};

// The T.38 parameters agreed in the SDP offer/answer (the line driver fills this).
struct T38Options {
    int version = 0;  // T38FaxVersion 0..3: both ends must use the same (the lower offer)
    // T38MaxBitRate: the image bit rate limit; with T30Settings::maxBitRate the lower wins.
    // SpanDSP 0.0.6 has no V.34, so anything above 14400 means 14400.
    int maxBitRate = 14400;
    T38RateManagement rateManagement = T38RateManagement::kTransferredTcf;
    int maxBufferBytes = 2000;    // T38FaxMaxBuffer: the far end's IFP buffer
    int maxDatagramBytes = 400;   // T38FaxMaxDatagram: the far end's largest UDPTL datagram
    bool fillBitRemoval = false;  // T38FaxFillBitRemoval: non-ECM fill bits may be left out
};

// Empty when the options can be used, else what is wrong, naming the field.
std::string validateT38Options(const T38Options& options);

// An IFP packet the terminal wants sent, `copies` times.
struct OutgoingIfp {
    std::vector<uint8_t> ifp;
    int copies = 1;
};

class T38FaxSession {
  public:
    static constexpr int kSamplesPerTick = 160;  // 20 ms at 8 kHz, SpanDSP's time unit

    // `tiffPath`: the caller's document to send (G3/G4 TIFF/F, 1728 px wide), or the file
    // the answerer receives into (created or replaced). Throws std::invalid_argument for
    // settings or options the validators refuse, std::runtime_error when SpanDSP cannot
    // start a terminal. An unreadable document fails the session with SpanDSP's file error.
    T38FaxSession(fax::FaxRole role, const fax::T30Settings& settings, const T38Options& options,
                  const std::string& tiffPath);
    ~T38FaxSession();
    T38FaxSession(const T38FaxSession&) = delete;
    T38FaxSession& operator=(const T38FaxSession&) = delete;

    // One IFP packet from the far end, in sequence order; a gap in `sequence` tells the
    // terminal that packets were lost.
    void receiveIfp(uint16_t sequence, std::span<const uint8_t> ifp);
    // The same for a packet as UdptlSession delivers it: one rebuilt from FEC parity loses
    // its zero padding first (ifp_packet.h).
    void receive(const ReceivedIfp& delivered);

    // One 20 ms tick of the terminal's timers and transmit pacing.
    void tick();

    // The IFP packets queued since the last call, oldest first.
    std::vector<OutgoingIfp> takeOutgoing();

    // The call ended from outside (BYE, re-INVITE back to audio refused, UDPTL gone): the
    // session ends now, with SpanDSP's "call dropped" unless it had already finished.
    void hangUp();

    fax::FaxRole role() const { return result_.role; }
    bool finished() const { return finished_; }
    // Pages confirmed by the far end (caller) or received (answerer) so far.
    int pagesSoFar() const;
    // Received IFP packets the terminal refused as malformed.
    uint64_t refusedIfps() const { return refusedIfps_; }
    // Phase E's result; complete once finished().
    const fax::T30Result& result() const { return result_; }
    fax::RecordOutcome recordOutcome() const { return fax::toRecordOutcome(result_); }

  private:
    static int onTxPacket(t38_core_state_s* core, void* self, const uint8_t* buf, int len,
                          int count);
    static int onPhaseB(t30_state_s* t30, void* self, int frameType);
    static void onPhaseE(t30_state_s* t30, void* self, int completionCode);
    void finish(int completionCode);

    t38_terminal_state_s* terminal_ = nullptr;  // owned: t38_terminal_init() .. _free()
    t38_core_state_s* core_ = nullptr;          // inside terminal_
    t30_state_s* t30_ = nullptr;                // inside terminal_
    int documentPages_ = 0;                     // caller: pages of the TIFF to send
    int version_ = 0;                           // T38Options::version
    bool finished_ = false;
    uint64_t refusedIfps_ = 0;
    std::vector<OutgoingIfp> outgoing_;
    fax::T30Result result_;
};

}  // namespace faxgate::node::t38
