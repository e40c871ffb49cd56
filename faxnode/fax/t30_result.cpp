// The T.30 outcome -> communication record mapping (see t30_result.h and the table in
// docs/sip-line.md).
#include "faxnode/fax/t30_result.h"

#include <spandsp.h>

namespace faxgate::node::fax {

namespace {

// Problems with our own document or memory, not with the line or the far end.
bool isLocalError(int code) { return code >= T30_ERR_FILEERROR && code <= T30_ERR_NOMEM; }

std::string words(const T30Result& r) {
    return r.completionText.empty() ? "code " + std::to_string(r.completionCode) : r.completionText;
}

RecordOutcome sentOutcome(const T30Result& r) {
    if (r.completionCode == T30_ERR_OK && r.pages > 0 && r.pages == r.pagesTotal) {
        return {"ok", "all " + std::to_string(r.pages) + " pages confirmed by the receiver"};
    }
    if (isLocalError(r.completionCode)) {
        return {"failed", "the document could not be sent: " + words(r)};
    }
    if (!r.faxPeerSeen) {
        if (r.completionCode == T30_ERR_CALLDROPPED) {
            return {"no_carrier", "the call dropped before the fax session started"};
        }
        return {"no_answer", "no fax machine answered: " + words(r)};
    }
    const std::string confirmed =
        std::to_string(r.pages) + " of " + std::to_string(r.pagesTotal) + " pages confirmed";
    if (r.completionCode == T30_ERR_OK) {
        // SpanDSP said OK but not every page was confirmed: never report that as done.
        return {"failed", "the session ended with " + confirmed};
    }
    return {"failed", words(r) + " (" + confirmed + ")"};
}

RecordOutcome receivedOutcome(const T30Result& r) {
    if (r.pages == 0) {
        if (!r.faxPeerSeen) return {"failed", "no fax was sent: " + words(r)};
        return {"failed", "no page received: " + words(r)};
    }
    if (r.completionCode == T30_ERR_OK) {
        return {"ok", "all " + std::to_string(r.pages) + " pages received"};
    }
    return {"partial", std::to_string(r.pages) + " pages received, then: " + words(r)};
}

}  // namespace

RecordOutcome toRecordOutcome(const T30Result& result) {
    return result.role == FaxRole::kCaller ? sentOutcome(result) : receivedOutcome(result);
}

}  // namespace faxgate::node::fax
