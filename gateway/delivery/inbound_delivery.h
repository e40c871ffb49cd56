// Delivery of received faxes: what the gateway does with a fax a node posted
// (POST /node/v1/inbound, gateway/api/inbound_api.h). Routes it (gateway/routing/), composes
// one mail per routed user (inbound_mail.h), and hands the store one transaction holding the
// record with its routing decision, the mailbox messages (folder INBOX) and the outbox copies
// for users with an external address (Store::storeReception), queued for the configured
// external transport (SMTP relay or IMAP APPEND). Only after that commit does the
// caller answer the node, which then deletes its spooled copy: nothing is lost in between.
//
// Idempotent by record ID: a record the store already has is answered with the earlier
// decision and delivers nothing again (the node re-posts when an answer got lost).
//
// Decisions beyond routing_table.h:
// - A routed user who no longer exists is skipped (logged); when nobody routed exists, the
//   fax goes to the administrators, so it is never silently dropped.
// - A blocked fax is stored with routedTo "blocked" and delivered to nobody.
// - A failed reception (no image) is stored with routedTo "" and delivered to nobody.
// - The PDF is made once per fax (wrapFaxTiffAsPdf) and only when a routed user wants it; if
//   the TIFF cannot be wrapped, PDF users get the TIFF (logged as a warning).
//
// Diagnostics: StoreError when the store fails (the API answers 500 and the node retries);
// std::invalid_argument for a record that is not a reception. Logger "inbound": one line per
// fax with the record ID, the decision and the users.
// Thread-safety: deliver() may run on several threads at once; the store serialises, and two
// concurrent posts of the same record deliver once (the second transaction finds the record).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gateway/delivery/inbound_mail.h"
#include "gateway/store/store.h"

namespace faxgate::gateway {

class Outbox;

struct InboundDeliveryOptions {
    // Composition of the mails: templates directory, From address, hostname.
    InboundMailOptions mail;
    // Mailbox folder received faxes are filed into.
    std::string folder = "INBOX";
    // How the copy for a user with an external address leaves (OutboxMail::transport):
    // "smtp" (the relay; from = the gateway's address, to = the external address) or
    // "imap_append" (imap_append.h; from = the faxgate user ID, to = the external address).
    // Empty = no external copies (no transport is configured).
    std::string externalTransport = "smtp";
};

struct InboundOutcome {
    bool duplicate = false;                // the record was already stored: nothing delivered
    std::vector<std::string> deliveredTo;  // users whose mailbox got the fax
    std::string routedTo;                  // as stored in the record
};

class InboundDelivery {
  public:
    using Clock = std::function<int64_t()>;  // milliseconds since the Unix epoch

    // `store` (and `outbox`, if given) must outlive this object. The outbox is woken when
    // copies were queued; without one they wait for the outbox's next pass. Loads the mail
    // template now (TemplateError if it is missing).
    InboundDelivery(Store& store, Outbox* outbox, InboundDeliveryOptions options = {},
                    Clock nowMs = {});

    // `record` must have direction "receive"; `tiff` is the received image (empty for a failed
    // reception). Throws StoreError / std::invalid_argument (see above).
    InboundOutcome deliver(CommunicationRecord record, const std::string& tiff);

  private:
    std::vector<User> resolveUsers(const std::vector<std::string>& ids);
    std::vector<User> administrators();

    Store& store_;
    Outbox* outbox_;
    InboundDeliveryOptions options_;
    InboundMailComposer composer_;
    Clock nowMs_;
};

}  // namespace faxgate::gateway
