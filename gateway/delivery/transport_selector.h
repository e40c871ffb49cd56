// TransportSelector is the MailTransport the outbox sends through when the gateway has more
// than one way out: it hands each mail to the transport named by OutboxMail::transport
// ("smtp" = the SMTP relay, "imap_append" = ImapAppend). A mail naming a transport that is not
// configured (queued before the configuration changed) is refused permanently, so the outbox
// gives it up with a message naming the transport instead of retrying for days.
#pragma once

#include <map>
#include <string>

#include "gateway/delivery/mail_transport.h"

namespace faxgate::gateway {

// Invariant: every registered transport is non-null. Thread-safety: add() only before the
// outbox starts; send() is as thread-safe as the registered transports.
class TransportSelector : public MailTransport {
  public:
    // `transport` must outlive the selector; a second add() under the same name replaces it.
    void add(const std::string& name, MailTransport& transport);
    bool has(const std::string& name) const;

    SendOutcome send(const OutboxMail& mail) override;

  private:
    std::map<std::string, MailTransport*> transports_;
};

}  // namespace faxgate::gateway
