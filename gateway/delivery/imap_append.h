// ImapAppend files a user's copy of a received fax straight into their mailbox on an external
// IMAP server (the company's Dovecot, say) with libcurl's IMAP APPEND, instead of relaying it
// by SMTP: the fax appears as a new, unread message without passing any mail filter.
//
// The mail: an OutboxMail with transport "imap_append" whose `to` holds exactly one entry, the
// user's external address, and whose `from` holds the faxgate user ID the copy is for (APPEND
// has no envelope, so `from` is free to carry it). The IMAP login is `loginTemplate` with
// {email} and {user} replaced by these; the password is the same for every user, typically a
// Dovecot master user's ("{email}*faxgate" with auth_master_user_separator = *).
//
// One connection per mail: login, APPEND to the URL's folder (libcurl always marks the
// appended message \Seen, FIELD-NOTES.md), then `UID STORE <uid> -FLAGS (\Seen)` so the fax
// shows as unread. The UID comes from the APPENDUID response code (RFC 4315); a server without
// UIDPLUS is asked `UID SEARCH HEADER Message-ID <id>` instead. Once the APPEND succeeded the
// mail counts as delivered: a failed flag change only logs a warning (the fax arrived, marked
// read), because retrying would append it twice.
//
// Outcomes (the outbox retries temporary failures and gives up permanent ones):
// - refused login: permanent, unless the server says [UNAVAILABLE] (RFC 5530: its
//   authentication back-end is down), like SMTP's 535 versus 454;
// - APPEND refused with NO or BAD: permanent ([TRYCREATE]: the folder does not exist),
//   except the codes that say "later": [OVERQUOTA], [UNAVAILABLE], [INUSE], [LIMIT],
//   [SERVERBUG];
// - everything else (connection refused or lost, time-outs, TLS failures, odd replies):
//   temporary.
// Messages name the server and the failed step with the server's reply, never the password.
//
// TLS: "imaps://" is TLS from the first byte; with "imap://" STARTTLS is required when
// requireTls is set (the default: the login carries a password), else used when offered. The
// server's certificate is checked unless verifyCertificate is off.
#pragma once

#include <cstddef>
#include <string>

#include "gateway/delivery/mail_transport.h"

namespace faxgate::gateway {

struct ImapAppendOptions {
    // "imap://host:port/Folder" or "imaps://host:port/Folder"; no path = INBOX. A folder name
    // with spaces or non-ASCII characters is percent-encoded ("Received%20Faxes"). Credentials
    // do not belong in the URL.
    std::string url;
    // The IMAP login; {email} = the user's external address, {user} = their faxgate user ID.
    std::string loginTemplate = "{email}";
    // The password for every login (a master user's); must not be empty.
    std::string password;
    // Refuse to log in unless the connection is encrypted (imaps, or STARTTLS on imap://).
    bool requireTls = true;
    // Check the server's certificate and host name when TLS is used.
    bool verifyCertificate = true;
    // CA bundle (PEM file) to verify the server's certificate with; empty = the system's.
    std::string caFile;
    // Connecting, each server reply, and any stall of the upload are limited by this.
    long timeoutMs = 30000;
    // Mails larger than this are refused permanently before connecting.
    size_t maxMessageBytes = 64 * 1024 * 1024;
};

// Thread-safe: the options are fixed at construction and every send() uses its own libcurl
// handle, so send() may run on several threads at once.
class ImapAppend : public MailTransport {
  public:
    // Throws std::invalid_argument naming the option when the options are unusable.
    explicit ImapAppend(ImapAppendOptions options);

    SendOutcome send(const OutboxMail& mail) override;

    // The login for a mail to `email` for faxgate user `userId` (the template applied).
    std::string loginFor(const std::string& email, const std::string& userId) const;

  private:
    ImapAppendOptions options_;
    std::string folderUrl_;    // scheme://host:port/Folder (INBOX when the URL had no path)
    std::string displayName_;  // scheme://host:port/Folder, for messages
};

}  // namespace faxgate::gateway
