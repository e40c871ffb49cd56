// Filing and queueing result reports; see report_delivery.h.
#include "gateway/delivery/report_delivery.h"

#include <Poco/Logger.h>

#include <stdexcept>

#include "gateway/delivery/job_outcome.h"
#include "gateway/delivery/mail_format.h"
#include "gateway/delivery/result_report.h"

namespace faxgate::gateway {
namespace {

Poco::Logger& logger() { return Poco::Logger::get("gateway.delivery.report"); }

// The address in MAIL FROM may come with angle brackets; a null sender ("<>") means none.
std::string bareAddress(const std::string& address) {
    std::string bare = address;
    if (bare.size() >= 2 && bare.front() == '<' && bare.back() == '>') {
        bare = bare.substr(1, bare.size() - 2);
    }
    return bare;
}

}  // namespace

ReportDelivery::ReportDelivery(Store& store, Outbox* outbox, std::string templatesDir,
                               std::string fromAddress, std::string hostname)
    : store_(store),
      outbox_(outbox),
      templatesDir_(std::move(templatesDir)),
      fromAddress_(std::move(fromAddress)),
      hostname_(std::move(hostname)) {
    if (!isPlainAddress(fromAddress_)) {
        throw std::invalid_argument("report sender \"" + cleanLine(fromAddress_, 80) +
                                    "\" is not a plain mail address");
    }
    if (hostname_.empty()) throw std::invalid_argument("report hostname is empty");
}

void ReportDelivery::deliverResult(int64_t submissionId, int64_t nowMs) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::optional<Submission> submission = store_.findSubmission(submissionId);
    if (!submission) {
        throw std::invalid_argument("result report: submission " + std::to_string(submissionId) +
                                    " does not exist");
    }
    if (submission->reported) return;

    if (submission->state == SubmissionState::Converting) return;

    ReportContext context;
    context.submission = *submission;
    context.jobs = store_.jobsOfSubmission(submissionId);
    for (const Job& job : context.jobs) {
        if (outcomeOf(*submission, job).kind == OutcomeKind::InProgress) return;
    }
    for (const Job& job : context.jobs) context.attempts[job.id] = store_.attemptsOf(job.id);

    Addressing addressing = addressingOf(*submission);
    const std::optional<User>& owner = addressing.owner;
    if (owner) {
        context.owner = *owner;
    } else {
        context.owner.id = submission->owner;
    }
    context.toAddress = addressing.to;
    context.gatewayHostname = hostname_;
    context.fromAddress = fromAddress_;
    context.nowMs = nowMs;
    if (pdfMaker_ && submission->state == SubmissionState::Ready) {
        try {
            context.attachedPdf = pdfMaker_(store_.loadDocument(submissionId));
        } catch (const std::exception& e) {
            logger().warning("result report: submission " + std::to_string(submissionId) +
                             ": sent document not attached: " + e.what());
        }
    }

    std::string report = composeResultReport(context, templatesDir_);

    if (owner) {
        MailboxMessage copy;
        copy.user = owner->id;
        copy.folder = kSentFaxesFolder;
        copy.data = report;
        copy.internalDateMs = nowMs;
        store_.appendToMailbox(copy);
    } else {
        logger().warning("result report: submission " + std::to_string(submissionId) +
                         ": owner \"" + cleanLine(submission->owner, 80) +
                         "\" no longer exists; no mailbox copy");
    }

    bool queued = enqueue(addressing.recipient, report, nowMs);
    store_.markReported(submissionId);
    if (queued) outbox_->wake();
    logger().information("result report: submission " + std::to_string(submissionId) + " reported" +
                         (queued ? " to " + addressing.recipient : std::string(" (mailbox only)")));
}

void ReportDelivery::deliverRequeueNotice(const Job& job, int64_t nowMs) {
    if (outbox_ == nullptr) return;
    std::lock_guard<std::mutex> lock(mutex_);
    std::optional<Submission> submission = store_.findSubmission(job.submissionId);
    if (!submission) return;
    Addressing addressing = addressingOf(*submission);
    if (addressing.recipient.empty()) return;
    ReportContext context;
    context.submission = *submission;
    if (addressing.owner) context.owner = *addressing.owner;
    context.attempts[job.id] = store_.attemptsOf(job.id);
    context.toAddress = addressing.to;
    context.gatewayHostname = hostname_;
    context.fromAddress = fromAddress_;
    context.nowMs = nowMs;
    if (enqueue(addressing.recipient, composeRequeueNotice(context, job, templatesDir_), nowMs)) {
        outbox_->wake();
        logger().information("requeue notice: job " + std::to_string(job.id) + " to " +
                             addressing.recipient);
    }
}

ReportDelivery::Addressing ReportDelivery::addressingOf(const Submission& submission) {
    Addressing addressing;
    addressing.owner = store_.findUser(submission.owner);
    std::string recipient = bareAddress(submission.envelopeFrom);
    if (recipient.empty() && addressing.owner) recipient = addressing.owner->email;
    bool canMail = isPlainAddress(recipient);
    if (!recipient.empty() && !canMail) {
        logger().warning("result report: submission " + std::to_string(submission.id) +
                         ": recipient \"" + cleanLine(recipient, 80) +
                         "\" is not a plain mail address; filing the report only");
    }
    // The mailbox copy needs a To even when there is no external address.
    std::string mailboxAddress = submission.owner;
    if (mailboxAddress.find('@') == std::string::npos) mailboxAddress += "@" + hostname_;
    addressing.recipient = canMail ? recipient : "";
    addressing.to = canMail ? recipient : mailboxAddress;
    if (!isPlainAddress(addressing.to)) addressing.to = fromAddress_;
    return addressing;
}

// REQUIRES: mutex_ held. Queues `message` to `recipient` when a relay is configured.
bool ReportDelivery::enqueue(const std::string& recipient, const std::string& message,
                             int64_t nowMs) {
    if (outbox_ == nullptr || recipient.empty()) return false;
    OutboxMail mail;
    mail.from = fromAddress_;
    mail.to = {recipient};
    mail.data = message;
    mail.nextTryMs = nowMs;
    store_.enqueueMail(mail);
    return true;
}

}  // namespace faxgate::gateway
