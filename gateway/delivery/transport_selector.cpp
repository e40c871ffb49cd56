// Choice of the transport by the mail's transport name; see transport_selector.h.
#include "gateway/delivery/transport_selector.h"

#include "gateway/delivery/mail_format.h"

namespace faxgate::gateway {

void TransportSelector::add(const std::string& name, MailTransport& transport) {
    transports_[name] = &transport;
}

bool TransportSelector::has(const std::string& name) const { return transports_.count(name) != 0; }

SendOutcome TransportSelector::send(const OutboxMail& mail) {
    auto found = transports_.find(mail.transport);
    if (found == transports_.end()) {
        return {false, true,
                "no transport \"" + cleanLine(mail.transport, 40) +
                    "\" is configured (smtp needs relay.url, imap_append imap_append.url)"};
    }
    return found->second->send(mail);
}

}  // namespace faxgate::gateway
