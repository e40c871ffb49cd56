// The seam between the SMTP submission server and the rest of the gateway. The smtp module
// only speaks SMTP; it knows nothing of users, the store or the conversion to fax pages. The
// gateway implements SmtpServices and hands it to SmtpServer (compare Postfix: smtpd talks
// SMTP, cleanup makes the queue file durable before smtpd says 250).
#pragma once

#include <string>
#include <vector>

namespace faxgate::gateway {

// One SMTP reply: basic code, RFC 3463 enhanced code and text. A text with several lines
// ('\n'-separated) becomes a multi-line reply.
struct SmtpReply {
    int code = 250;
    std::string enhanced;  // e.g. "5.6.0"; empty = none
    std::string text;
};

// A recipient the server accepted: a fax number in the fax domain.
struct FaxRecipient {
    std::string address;  // the path as the client gave it, without <>
    std::string number;   // normalised: digits, optional leading '+'
};

// What the session knows about one message besides its content.
struct SmtpEnvelope {
    std::string user;      // authenticated (or trusted-network) user ID
    std::string mailFrom;  // reverse path without <>
    std::vector<FaxRecipient> recipients;
    std::string clientAddress;  // "127.0.0.1:54321"
    bool tls = false;
};

// Implemented by the gateway. Called from the server's connection threads, several at once:
// implementations must be thread-safe.
class SmtpServices {
  public:
    virtual ~SmtpServices() = default;
    // True if the password is right. Slow on purpose (KDF).
    virtual bool authenticate(const std::string& user, const std::string& password) = 0;
    // Blocks until the message and its jobs are durable; returns 250 with the job IDs in the
    // text, or a refusal (4xx/5xx) that the session passes to the client.
    virtual SmtpReply submit(const SmtpEnvelope& envelope, std::string message) = 0;
};

}  // namespace faxgate::gateway
