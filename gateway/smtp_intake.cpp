// SMTP submission to store; see smtp_intake.h.
#include "gateway/smtp_intake.h"

#include <Poco/Logger.h>
#include <Poco/Timestamp.h>

#include "gateway/store/password_hash.h"

namespace faxgate::gateway {

namespace {

Poco::Logger& logger() { return Poco::Logger::get("smtp"); }

}  // namespace

SmtpIntake::SmtpIntake(Store& store, SubmissionWriter& writer, SmtpIntakeSettings settings)
    : store_(store), writer_(writer), settings_(settings) {}

bool SmtpIntake::authenticate(const std::string& user, const std::string& password) {
    std::optional<User> found = store_.findUser(user);
    if (!found) {
        // Spend the same time as for a real user, so a login does not tell who exists.
        static const std::string decoy = hashPassword("decoy password");
        verifyPassword(password, decoy);
        return false;
    }
    return verifyPassword(password, found->passwordHash);
}

SmtpReply SmtpIntake::submit(const SmtpEnvelope& envelope, std::string message) {
    ParseOutcome parsed = parseMail(message, settings_.limits);
    if (!parsed.mail) {
        logger().information("mail from %s (%s) refused: %s", envelope.user, envelope.clientAddress,
                             parsed.error);
        return {554, "5.6.0", parsed.error};
    }
    NewSubmission submission;
    submission.owner = envelope.user;
    submission.envelopeFrom = envelope.mailFrom;
    submission.subject = parsed.mail->subject;
    submission.messageId = parsed.mail->messageId;
    for (const FaxRecipient& recipient : envelope.recipients) {
        submission.numbers.push_back(recipient.number);
    }
    submission.priority = submission.numbers.size() > 1 ? settings_.broadcastPriority : 0;
    submission.killTimeMs = settings_.killTimeMs;
    submission.createdMs = Poco::Timestamp().epochMicroseconds() / 1000;
    submission.rawMessage = std::move(message);

    CommittedSubmission committed;
    try {
        committed = writer_.commit(std::move(submission));
    } catch (const std::exception& e) {
        logger().error("mail from %s not stored: %s", envelope.user, std::string(e.what()));
        return {451, "4.3.0", "the fax queue cannot store the message now; try again later"};
    }
    std::string jobs;
    for (int64_t jobId : committed.jobIds) {
        jobs += (jobs.empty() ? "" : ",") + std::to_string(jobId);
    }
    logger().information("submission %Ld from %s: %z fax jobs (%s)", committed.id, envelope.user,
                         envelope.recipients.size(), jobs);
    return {250, "2.0.0",
            "queued as submission " + std::to_string(committed.id) + ", fax jobs " + jobs};
}

}  // namespace faxgate::gateway
