// SIP final status -> record result code and reason (see call_outcome.h).
#include "faxnode/sip/call_outcome.h"

namespace faxgate::node::sip {

namespace {

std::string statusWords(int status, std::string_view phrase) {
    std::string words = "SIP " + std::to_string(status);
    if (!phrase.empty()) {
        words += " ";
        words += phrase;
    }
    return words;
}

}  // namespace

CallOutcome classifyFailedInvite(int status, std::string_view phrase) {
    const std::string words = statusWords(status, phrase);
    switch (status) {
        case 486:
        case 600:
            return {"busy", "the number is busy (" + words + ")"};
        case 408:
        case 480:
        case 487:
            return {"no_answer", "no answer (" + words + ")"};
        case 404:
        case 410:
        case 484:
        case 485:
        case 604:
            return {"rejected", "the number was refused as invalid (" + words + ")"};
        default:
            break;
    }
    if (status >= 900) return {"no_carrier", "the call could not be placed (" + words + ")"};
    return {"no_carrier", "the call failed before it was answered (" + words + ")"};
}

CallOutcome noAnswerOutcome(int timeoutMs) {
    std::string limit = timeoutMs % 1000 == 0 ? std::to_string(timeoutMs / 1000) + " s"
                                              : std::to_string(timeoutMs) + " ms";
    return {"no_answer", "no answer within " + limit + " (call cancelled)"};
}

CallOutcome cancelledOutcome() { return {"cancelled", "the call was cancelled before answer"}; }

}  // namespace faxgate::node::sip
