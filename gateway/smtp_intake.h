// The gateway's side of the SMTP server (SmtpServices): checks passwords against the user
// table, looks at a submitted mail once (so an attachment we cannot fax is refused with 554
// while the client is still connected), and hands it to the submission writer, answering
// 250 only after the mail and its jobs are committed.
//
// Threading: called concurrently from SMTP connection threads; holds no state of its own.
#pragma once

#include <cstdint>

#include "gateway/intake/mail_parser.h"
#include "gateway/smtp/smtp_services.h"
#include "gateway/store/store.h"
#include "gateway/submission_writer.h"

namespace faxgate::gateway {

struct SmtpIntakeSettings {
    IntakeLimits limits;
    int64_t killTimeMs = 3 * 3600 * 1000;  // a job not sent within this time fails
    int broadcastPriority = 1;             // priority of jobs of a mail with several numbers
};

class SmtpIntake : public SmtpServices {
  public:
    SmtpIntake(Store& store, SubmissionWriter& writer, SmtpIntakeSettings settings);

    bool authenticate(const std::string& user, const std::string& password) override;
    SmtpReply submit(const SmtpEnvelope& envelope, std::string message) override;

  private:
    Store& store_;
    SubmissionWriter& writer_;
    const SmtpIntakeSettings settings_;
};

}  // namespace faxgate::gateway
