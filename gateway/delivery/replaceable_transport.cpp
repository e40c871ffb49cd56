// A MailTransport that can be swapped while in use; see replaceable_transport.h.
#include "gateway/delivery/replaceable_transport.h"

#include <stdexcept>
#include <utility>

namespace faxgate::gateway {

ReplaceableTransport::ReplaceableTransport(std::shared_ptr<MailTransport> initial) {
    replace(std::move(initial));
}

void ReplaceableTransport::replace(std::shared_ptr<MailTransport> next) {
    if (!next) throw std::invalid_argument("ReplaceableTransport: no transport given");
    std::lock_guard<std::mutex> lock(mutex_);
    current_ = std::move(next);
}

std::shared_ptr<MailTransport> ReplaceableTransport::current() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return current_;
}

SendOutcome ReplaceableTransport::send(const OutboxMail& mail) {
    // The copy keeps the transport alive for this send even if replace() runs meanwhile.
    return current()->send(mail);
}

}  // namespace faxgate::gateway
