// Routing of received faxes: which users' mailboxes a fax a node received goes to. Pure logic
// over a RoutingRules table (gateway/store/types.h, kept by the Store): no I/O, no state.
//
// A reception is matched on three fields: the number that was called (the DID of the line,
// "called"), the caller's number ("caller", from CLIP) and the CSID the remote fax machine
// announced ("csid"). Values are compared after normalisation (see normaliseRouteValue): white
// space and the separators - . ( ) / are dropped and ASCII letters upper-cased, so a rule
// "03-1234 5001" matches a called number "0312345001". An empty field (no CLIP, no CSID)
// matches no rule and no block entry.
//
// The order, first step that applies wins:
//   1. Block list: a caller number or CSID on it (exact, or starting with a blocked prefix)
//      -> delivered to nobody; the record says "blocked".
//   2. The most specific matching rule:
//      a. exact beats pattern, pattern beats prefix;
//      b. between two prefixes, the longer prefix wins; between two patterns, the one with
//         more literal (non-wildcard) characters wins;
//      c. at the same specificity, a rule on the called number beats one on the caller
//         number, which beats one on the CSID (the DID is what the sender chose to dial;
//         the CSID is free text the remote machine announces);
//      d. then the lower `priority`, then the lower rule ID (the older rule).
//      The winning rule's users get the fax (a rule may name several).
//   3. No rule matches: the default route's users.
//   4. No default route: every user with the admin role ("no match and no default goes to
//      the administrators"). route() cannot know them (it is pure); the decision says so and
//      the caller fills them in (inbound_delivery.cpp does).
// Patterns: '?' is any one character, '*' any run of characters (also none); everything
// else is literal. They match the whole normalised value.
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/store/types.h"

namespace faxgate::gateway {

// What of a reception routing looks at.
struct Reception {
    std::string calledNumber;  // our number that was dialled (DID); may be empty
    std::string callerNumber;  // the caller's number; may be empty (withheld)
    std::string remoteCsid;    // the remote fax machine's ID; may be empty
};

enum class RouteKind {
    Rule,            // a rule matched: `users` are its users
    Default,         // no rule matched: `users` are the default route
    Administrators,  // no rule and no default: the caller delivers to the administrators
    Blocked,         // the caller or CSID is blocked: nobody
};

struct RoutingDecision {
    RouteKind kind = RouteKind::Administrators;
    std::vector<std::string> users;  // without duplicates, in the order the rule names them
    int64_t ruleId = 0;              // the rule that matched (kind Rule)
    std::string explanation;         // for logs, e.g. "rule 4: called exact 0312345001"
};

RoutingDecision route(const Reception& reception, const RoutingRules& rules);

// The value as routing compares it (see the file comment).
std::string normaliseRouteValue(std::string_view value);

// True if `value` (normalised) matches the glob `pattern` (normalised) as a whole.
bool matchesPattern(std::string_view pattern, std::string_view value);

// The text stored in CommunicationRecord::routedTo: "blocked" for a blocked fax, else the user
// IDs joined by commas ("" for none).
std::string routedToText(const RoutingDecision& decision);

}  // namespace faxgate::gateway
