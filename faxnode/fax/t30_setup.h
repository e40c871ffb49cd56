// Setting up SpanDSP's T.30 engine from a line's T30Settings, and reading what it reports at
// phase E into a T30Result: the part of a fax session that does not depend on what carries
// the T.30 signals, shared by the audio session (t30_audio_session.h, fax_state_t) and the
// T.38 session (faxnode/t38/t38_fax_session.h, t38_terminal_state_t). Plain functions on
// the engine; the sessions own it and install their own phase handlers.
#pragma once

#include <string>

#include "faxnode/fax/t30_audio_session.h"
#include "faxnode/fax/t30_result.h"

struct t30_state_s;

namespace faxgate::node::fax {

// Station ID, header line, ECM, modems (from settings.maxBitRate), resolutions and
// compressions; the caller's document to send or the answerer's file to receive into.
// The settings must have passed validateT30Settings(). Returns the pages of the caller's
// document (0 when it cannot be read: the session then fails with SpanDSP's file error),
// 0 for the answerer.
int configureT30(t30_state_s* t30, FaxRole role, const T30Settings& settings,
                 const std::string& tiffPath);

// Fills `result` from the engine's statistics at phase E: completion code and words, pages
// (confirmed by MCF for the caller, received for the answerer), and when result.faxPeerSeen
// the bit rate, ECM and the far end's station ID. `documentPages` as configureT30() returned.
void readT30Result(t30_state_s* t30, int completionCode, int documentPages, T30Result& result);

}  // namespace faxgate::node::fax
