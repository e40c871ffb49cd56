// What a finished T.30 fax session (t30_audio_session.h) produced, and what that means for
// the node's communication record: the result code and reason of docs/node-protocol.md
// ("ok", "no_answer", "no_carrier", "failed" for a sent fax; "ok", "partial", "failed" for a
// received one). The mapping table with its reasons is in docs/sip-line.md. The page count
// of a sent fax is what the receiver confirmed with MCF, so "ok" always means every page
// was confirmed, never "done with 0 pages". Plain values, no SpanDSP types.
#pragma once

#include <string>

namespace faxgate::node::fax {

// Which end of the call a session is: the caller transmits the document, the answerer
// receives one.
enum class FaxRole { kCaller, kAnswerer };

// Phase E of a session, as SpanDSP reported it.
struct T30Result {
    FaxRole role = FaxRole::kCaller;
    int completionCode = -1;     // SpanDSP's T30_ERR_* (0 is T30_ERR_OK)
    std::string completionText;  // SpanDSP's words for it (t30_completion_code_to_str)
    bool faxPeerSeen = false;    // the far end identified itself as a fax (DIS or DCS)
    int pages = 0;       // caller: pages the far end confirmed (MCF); answerer: pages received
    int pagesTotal = 0;  // caller: pages of the document; answerer: pages received
    int bitRate = 0;     // image bit/s negotiated; 0 when no fax peer was seen
    bool ecm = false;    // error correction mode was used
    std::string remoteStationId;  // the far end's CSID (caller) or TSI (answerer); may be empty
};

// A record's result code and reason.
struct RecordOutcome {
    std::string result;  // a docs/node-protocol.md result code
    std::string reason;  // plain words for the sender or recipient
};

RecordOutcome toRecordOutcome(const T30Result& result);

}  // namespace faxgate::node::fax
