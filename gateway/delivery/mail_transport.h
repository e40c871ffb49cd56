// The seam between the outbox and the ways a mail leaves the gateway. SmtpRelay (smtp_relay.h)
// hands mail to an SMTP relay; tests plug in fakes. A transport reports the outcome as a value:
// refusals and unreachable servers are normal events, not exceptions.
#pragma once

#include <string>

#include "gateway/store/types.h"

namespace faxgate::gateway {

struct SendOutcome {
    bool ok = false;
    bool permanent = false;  // when !ok: trying again cannot help (a 5xx reply)
    std::string error;       // when !ok: what failed and where, for the log and the outbox
};

// Implementations say in their own comment whether send() may be called from several threads.
class MailTransport {
  public:
    virtual ~MailTransport() = default;
    // Delivers `mail` (envelope from mail.from to every address in mail.to, content mail.data
    // with CRLF line ends) or says why not. All recipients or none: a refused recipient fails
    // the whole send.
    virtual SendOutcome send(const OutboxMail& mail) = 0;
};

}  // namespace faxgate::gateway
