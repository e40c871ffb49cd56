// What an unanswered outbound SIP call means for the fax record: the final SIP status of
// the INVITE (or our own no-answer timer, or our CANCEL) turned into a result code of
// docs/node-protocol.md and plain words for the sender. Pure functions, no sofia types, so
// the table in docs/sip-line.md is tested on its own.
//
//   486 Busy Here, 600 Busy Everywhere              -> busy
//   408, 480, 487 (not ours), our no-answer timer   -> no_answer
//   404, 410, 484, 485, 604 (the number is wrong)    -> rejected (the gateway does not retry)
//   our CANCEL on the owner's request               -> cancelled
//   anything else (403, 488, 5xx, 603, transport)   -> no_carrier, with the status in words
//
// "failed" is not used here: in the protocol it means a fax session started, and a call
// that never got answered is not connected (it does not count as a connected try).
#pragma once

#include <string>
#include <string_view>

namespace faxgate::node::sip {

struct CallOutcome {
    std::string result;  // busy, no_answer, rejected, cancelled, no_carrier
    std::string reason;  // e.g. "the number is busy (SIP 486 Busy Here)"
};

// An INVITE that ended with final status `status` (300..699, or sofia's local 9xx codes
// and 503 for a transport error) before it was answered.
CallOutcome classifyFailedInvite(int status, std::string_view phrase);

// Our no-answer timer ran out and we cancelled the INVITE.
CallOutcome noAnswerOutcome(int timeoutMs);

// The owner hung up (CANCEL) before the call was answered.
CallOutcome cancelledOutcome();

}  // namespace faxgate::node::sip
