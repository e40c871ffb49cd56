// SmtpRelay hands outgoing mail (result reports, notices) to an SMTP relay with libcurl: the
// gateway does not deliver to the Internet itself, like a Postfix null client with a relayhost.
//
// TLS: "smtps://" is TLS from the first byte; with "smtp://" STARTTLS is required (and the
// relay's certificate verified) when requireTls is set or credentials are given — without TLS
// libcurl would silently skip AUTH (FIELD-NOTES.md). Otherwise STARTTLS is used when offered,
// without certificate checks, as Postfix's "may" level does: better than plain text, and
// never a reason to fail.
//
// Outcomes: a 5xx reply from the relay is permanent; everything else (4xx, refused or lost
// connection, time-outs, TLS problems) is temporary. Messages name the relay and the failed
// step, never the password.
#pragma once

#include <cstddef>
#include <string>

#include "gateway/delivery/mail_transport.h"

namespace faxgate::gateway {

struct RelayOptions {
    // "smtp://host:port" or "smtps://host:port"; a path ("smtp://host:587/name") is the EHLO
    // name and overrides heloName. Empty = no relay (do not construct a SmtpRelay then).
    // Credentials do not belong in the URL: use user/password.
    std::string url;
    // AUTH user and password; empty user = no AUTH.
    std::string user, password;
    // Refuse to send unless the connection is encrypted (STARTTLS or smtps).
    bool requireTls = false;
    // The name we greet the relay with (EHLO).
    std::string heloName = "faxgate";
    // Connecting, each server reply, and any stall of the transfer are limited by this.
    long timeoutMs = 30000;
    // CA bundle (PEM file) to verify the relay's certificate with; empty = the system's.
    std::string caFile;
    // Mails larger than this are refused permanently before connecting.
    size_t maxMessageBytes = 64 * 1024 * 1024;
    // At most this many envelope recipients per mail.
    size_t maxRecipients = 100;
};

// Thread-safe: the options are fixed at construction and every send() uses its own libcurl
// handle, so send() may run on several threads at once.
class SmtpRelay : public MailTransport {
  public:
    // Throws std::invalid_argument naming the option when the options are unusable.
    explicit SmtpRelay(RelayOptions options);

    SendOutcome send(const OutboxMail& mail) override;

  private:
    RelayOptions options_;
    std::string requestUrl_;   // url with the EHLO name as path
    std::string displayName_;  // scheme://host:port, for messages
};

}  // namespace faxgate::gateway
