// Turns the path of an SMTP RCPT command into a fax recipient, or says in plain words why
// it is refused. Accepted forms, with the fax domain compared case-insensitively:
//   <0312345678@fax.local>  <+81-3-1234-5678@fax.local>  <03.1234.5678@fax.local>
//   <FAX=+81312345678@fax.local>  <fax=+81312345678/T33S=1234@fax.local>   (RFC 3192)
// and the same without the angle brackets. The number is digits with an optional leading '+';
// '-' and '.' may separate digits and are dropped. Refused: source routes, quoted local parts,
// other domains (the gateway is not an open relay), letters or other characters in the number,
// too few or too many digits. The RFC 3192 sub-address (/T33S=) is checked and dropped: the
// gateway dials the main number only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gateway/smtp/smtp_services.h"

namespace faxgate::gateway {

constexpr size_t kMinFaxNumberDigits = 3;       // shortest number worth dialling (internal lines)
constexpr size_t kMaxFaxNumberDigits = 20;      // E.164 allows 15; leave room for exit codes
constexpr size_t kMaxRecipientPathBytes = 256;  // RFC 5321 4.5.3.1.3 path limit

enum class RecipientRefusalKind {
    BadAddress,   // not a fax address we understand (reply 550 5.1.1)
    RelayDenied,  // another domain (reply 550 5.7.1)
};

struct RecipientRefusal {
    RecipientRefusalKind kind = RecipientRefusalKind::BadAddress;
    std::string reason;  // plain words, may quote the client's input (sanitise before replying)
};

struct ParsedRecipient {
    std::optional<FaxRecipient> recipient;  // set when the path is accepted
    RecipientRefusal refusal;               // meaningful only when recipient is empty
};

// `path` is the RCPT argument up to its parameters, with or without <>.
ParsedRecipient parseFaxRecipient(std::string_view path, std::string_view faxDomain);

}  // namespace faxgate::gateway
