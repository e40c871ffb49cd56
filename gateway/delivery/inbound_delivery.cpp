// Delivery of received faxes; see inbound_delivery.h.
#include "gateway/delivery/inbound_delivery.h"

#include <Poco/Logger.h>

#include <chrono>
#include <stdexcept>

#include "gateway/delivery/outbox.h"
#include "gateway/image/fax_page.h"
#include "gateway/image/tiff_to_pdf.h"
#include "gateway/routing/routing_table.h"

namespace faxgate::gateway {
namespace {

Poco::Logger& logger() { return Poco::Logger::get("inbound"); }

int64_t systemNowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::vector<std::string> splitUsers(const std::string& routedTo) {
    std::vector<std::string> users;
    if (routedTo == "blocked") return users;
    for (size_t start = 0; start < routedTo.size();) {
        size_t end = routedTo.find(',', start);
        if (end == std::string::npos) end = routedTo.size();
        if (end > start) users.push_back(routedTo.substr(start, end - start));
        start = end + 1;
    }
    return users;
}

std::string joinUsers(const std::vector<User>& users) {
    std::string text;
    for (const User& user : users) {
        if (!text.empty()) text += ',';
        text += user.id;
    }
    return text;
}

}  // namespace

InboundDelivery::InboundDelivery(Store& store, Outbox* outbox, InboundDeliveryOptions options,
                                 Clock nowMs)
    : store_(store),
      outbox_(outbox),
      options_(std::move(options)),
      composer_(options_.mail),
      nowMs_(nowMs ? std::move(nowMs) : Clock(systemNowMs)) {}

std::vector<User> InboundDelivery::resolveUsers(const std::vector<std::string>& ids) {
    std::vector<User> users;
    for (const std::string& id : ids) {
        if (auto user = store_.findUser(id)) {
            users.push_back(*user);
        } else {
            logger().warning("routing names user '" + id + "', who does not exist: skipped");
        }
    }
    return users;
}

std::vector<User> InboundDelivery::administrators() {
    std::vector<User> admins;
    for (const User& user : store_.listUsers()) {
        if (user.role == Role::Admin) admins.push_back(user);
    }
    return admins;
}

InboundOutcome InboundDelivery::deliver(CommunicationRecord record, const std::string& tiff) {
    if (record.direction != "receive") {
        throw std::invalid_argument("inbound: record " + record.recordId +
                                    " is not a reception (direction '" + record.direction + "')");
    }
    InboundOutcome outcome;
    auto answerDuplicate = [&](const CommunicationRecord& earlier) {
        outcome.duplicate = true;
        outcome.routedTo = earlier.routedTo;
        outcome.deliveredTo = splitUsers(earlier.routedTo);
        logger().information("record " + record.recordId + ": already stored, not delivered again");
        return outcome;
    };
    if (auto earlier = store_.findRecord(record.recordId)) return answerDuplicate(*earlier);

    const bool failed = record.result == "failed" || tiff.empty();
    std::vector<User> users;
    std::string explanation;
    bool blocked = false;
    if (failed) {
        explanation = "failed reception: no image to deliver";
    } else {
        Reception reception{record.calledNumber,
                            record.callerNumber.empty() ? record.number : record.callerNumber,
                            record.remoteCsid};
        const RoutingDecision decision = route(reception, store_.loadRoutingRules());
        explanation = decision.explanation;
        blocked = decision.kind == RouteKind::Blocked;
        if (!blocked) {
            users = decision.kind == RouteKind::Administrators ? administrators()
                                                               : resolveUsers(decision.users);
            if (users.empty() && decision.kind != RouteKind::Administrators) {
                explanation += "; none of its users exists: the administrators";
                users = administrators();
            }
            if (users.empty()) {
                logger().error("record " + record.recordId +
                               ": no user to deliver to and no administrator; fax kept in the"
                               " record only");
            }
        }
    }
    record.routedTo = blocked ? "blocked" : joinUsers(users);

    FaxImages images;
    images.tiff = tiff;
    bool wantPdf = false;
    for (const User& user : users) wantPdf = wantPdf || user.attachmentFormat != "tiff";
    if (wantPdf) {
        try {
            PdfWrapOptions pdfOptions;
            pdfOptions.title = InboundMailComposer::subjectFor(record);
            pdfOptions.creationTime = static_cast<std::time_t>(record.startedMs / 1000);
            images.pdf = wrapFaxTiffAsPdf(tiff, pdfOptions);
        } catch (const ImageError& e) {
            logger().warning("record " + record.recordId +
                             ": the fax cannot be wrapped as PDF, attaching the TIFF: " + e.what());
        }
    }

    const int64_t nowMs = nowMs_();
    std::vector<MailboxMessage> messages;
    std::vector<OutboxMail> mails;
    for (const User& user : users) {
        MailboxMessage message;
        message.user = user.id;
        message.folder = options_.folder;
        message.data = composer_.compose(record, user, images, nowMs);
        message.internalDateMs = nowMs;
        if (!user.email.empty() && !options_.externalTransport.empty()) {
            OutboxMail mail;
            mail.transport = options_.externalTransport;
            // An APPEND has no envelope sender: `from` names the user the login is made for.
            mail.from = mail.transport == "imap_append" ? user.id : options_.mail.fromAddress;
            mail.to = {user.email};
            mail.data = message.data;
            mail.nextTryMs = nowMs;
            mails.push_back(std::move(mail));
        }
        messages.push_back(std::move(message));
    }

    if (!store_.storeReception(record, messages, mails)) {
        // Another thread stored the same record between our check and our commit.
        if (auto earlier = store_.findRecord(record.recordId)) return answerDuplicate(*earlier);
        throw StoreError("store: storeReception: record " + record.recordId +
                         " was refused as known but cannot be read back");
    }
    if (!mails.empty() && outbox_) outbox_->wake();

    outcome.routedTo = record.routedTo;
    for (const User& user : users) outcome.deliveredTo.push_back(user.id);
    logger().information("record " + record.recordId + " from '" + record.callerNumber + "' / '" +
                         record.remoteCsid + "' to '" + record.calledNumber + "': " + explanation +
                         " -> " + (record.routedTo.empty() ? "nobody" : record.routedTo));
    return outcome;
}

}  // namespace faxgate::gateway
