// ReportDelivery sends a submission's result report once all its jobs are final: it always puts
// a copy in the owner's "Sent Faxes" folder on the gateway (read over IMAP), and when a relay
// is configured it queues the report to the sender in the outbox and wakes the outbox. Then it
// marks the submission reported, so a second call does nothing.
//
// The recipient is the submission's envelope sender (MAIL FROM), else the owner's external
// address; with neither, or when the address is not a plain mail address, the mailbox copy
// is the only one (logged at warning level).
//
// A crash between storing the report and marking the submission reported sends the report
// again on the next call: at least once, never lost.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "gateway/delivery/outbox.h"
#include "gateway/store/store.h"

namespace faxgate::gateway {

// The folder result reports are filed in.
inline constexpr const char* kSentFaxesFolder = "Sent Faxes";

// Thread-safe: deliverResult() calls are serialised, so two threads reporting the same
// submission send it once.
class ReportDelivery {
  public:
    // `store` and `outbox` (null when no relay is configured) must outlive this object.
    // `fromAddress` is the reports' sender (e.g. "faxgate@fax.local"), `hostname` the gateway's
    // host name (Message-IDs). Throws std::invalid_argument if either is unusable.
    ReportDelivery(Store& store, Outbox* outbox, std::string templatesDir, std::string fromAddress,
                   std::string hostname);

    // Reports submission `submissionId` as described above. Does nothing if it was reported
    // already or if one of its jobs is not final yet (the caller asks again later). Throws
    // std::invalid_argument for an unknown submission, StoreError and TemplateError as they come.
    void deliverResult(int64_t submissionId, int64_t nowMs);

    // Mails the sender that `job` failed a try and will be tried again (only the relayed
    // copy: the mailbox keeps final reports only). Nothing happens without a relay.
    void deliverRequeueNotice(const Job& job, int64_t nowMs);

    // Turns the sent document (a fax TIFF) into a PDF for the report; unset = no attachment.
    // Set once before use. A conversion that throws leaves the report without attachment.
    using PdfMaker = std::function<std::string(const std::string& tiff)>;
    void setPdfMaker(PdfMaker pdfMaker) { pdfMaker_ = std::move(pdfMaker); }

  private:
    struct Addressing {
        std::optional<User> owner;
        std::string recipient;  // where the mail goes out; empty = nowhere outside
        std::string to;         // the To header (the recipient, or the mailbox address)
    };
    Addressing addressingOf(const Submission& submission);
    bool enqueue(const std::string& recipient, const std::string& message, int64_t nowMs);

    Store& store_;
    Outbox* outbox_;
    const std::string templatesDir_;
    const std::string fromAddress_;
    const std::string hostname_;
    PdfMaker pdfMaker_;
    std::mutex mutex_;  // serialises deliverResult() and deliverRequeueNotice()
};

}  // namespace faxgate::gateway
