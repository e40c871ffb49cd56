// ReplaceableTransport is a MailTransport whose implementation can be swapped while the outbox
// sends through it. The gateway's SMTP relay sits behind one, so relay settings registered at
// the admin API (docs/settings.md, scope "gateway") take effect at the next outbox try
// without a restart: a send already in progress finishes with the transport it started with,
// the next one uses the new transport.
#pragma once

#include <memory>
#include <mutex>

#include "gateway/delivery/mail_transport.h"

namespace faxgate::gateway {

// Invariant: the current transport is never null. Thread-safety: send() and replace() may be
// called from any thread at any time; mutex_ guards only the pointer and is not held while
// sending, so send() is as thread-safe as the transports put in.
class ReplaceableTransport : public MailTransport {
  public:
    // Throws std::invalid_argument if `initial` is null.
    explicit ReplaceableTransport(std::shared_ptr<MailTransport> initial);

    // Later sends use `next` (not null: std::invalid_argument).
    void replace(std::shared_ptr<MailTransport> next);

    SendOutcome send(const OutboxMail& mail) override;

  private:
    std::shared_ptr<MailTransport> current() const;

    mutable std::mutex mutex_;
    std::shared_ptr<MailTransport> current_;  // REQUIRES: mutex_ held
};

}  // namespace faxgate::gateway
