// The ESMTP protocol of the submission server as a state machine without sockets: it takes
// the bytes a client sent, in any fragmentation, and returns the reply bytes and what the
// connection must do next (go on, start TLS, close). SmtpServer drives it over a socket; the
// unit tests and the fuzz test drive it directly.
//
// Supported: RFC 5321 (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, VRFY, HELP), 4954 AUTH
// PLAIN and LOGIN, 1870 SIZE, 2920 PIPELINING, 6152 8BITMIME, 2034 ENHANCEDSTATUSCODES,
// 3207 STARTTLS. Fax submission needs an authenticated user, or a client in the trusted
// networks (scanners that cannot AUTH), which submits as the configured trusted user.
//
// Every input has a limit (SmtpLimits); running out of one gives a precise reply. Replies never
// echo control characters from the client. Bare LF line ends are accepted; the message handed
// to SmtpServices::submit always has CRLF line ends and is dot-unstuffed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/smtp/smtp_services.h"

namespace faxgate::gateway {

struct SmtpLimits {
    // Largest message accepted (after dot-unstuffing, CRLF line ends). Advertised with SIZE.
    size_t maxMessageBytes = 25 * 1024 * 1024;
    // Most RCPT accepted per message; more get 452 4.5.3.
    size_t maxRecipients = 100;
    // Longest command line including CRLF. RFC 4954 allows 12288 for AUTH initial responses.
    size_t maxCommandLineBytes = 12288;
    // Longest message line including CRLF (RFC 5321: 998 + CRLF).
    size_t maxDataLineBytes = 1000;
    // A connection that sends nothing for this long gets 421 4.4.2 and is closed.
    int64_t idleTimeoutMs = 300000;
    // Concurrent connections; more get 421 4.3.2 and are closed.
    size_t maxConnections = 100;
    // Failed AUTH attempts per connection before 421 and close.
    int maxAuthFailures = 3;
    // Client errors (unknown command, bad syntax, bad sequence) before 421 and close.
    int maxErrors = 20;
};

// How one session behaves; the server builds it from SmtpServerOptions.
struct SmtpSessionOptions {
    std::string hostname = "localhost";   // in the greeting and the EHLO reply
    std::string faxDomain = "fax.local";  // recipients must be number@faxDomain
    bool tlsAvailable = false;            // STARTTLS is offered (a certificate is configured)
    bool requireTlsForAuth = false;       // AUTH only after STARTTLS
    std::string trustedUser;              // submitting user for clients in the trusted networks
    SmtpLimits limits;
};

// What happened in a session, for the one log line per session. Never holds a password or
// message content.
struct SmtpSessionSummary {
    std::string user;          // authenticated or trusted user; empty = none
    int messagesAccepted = 0;  // DATA answered with 2xx
    int messagesRefused = 0;   // DATA answered with 4xx/5xx
    int authFailures = 0;
    int errors = 0;           // client errors counted against maxErrors
    std::string lastRefusal;  // last 4xx/5xx reply to a DATA, e.g. "552 5.3.4"
    std::string endReason;    // "quit", "too many errors", ...; empty while open
};

enum class SmtpAction {
    Continue,  // send the output, read more input
    StartTls,  // send the output, do the TLS handshake, then call tlsStarted()
    Close,     // send the output, close the connection
};

// One SMTP conversation. Not thread-safe: owned and driven by one connection thread.
// Invariant: once closed() is true, consume() ignores its input and produces nothing.
class SmtpSession {
  public:
    // `clientTrusted`: the client is in the trusted networks (and options.trustedUser is set).
    SmtpSession(SmtpSessionOptions options, SmtpServices& services, std::string clientAddress,
                bool clientTrusted);

    // The 220 banner to send when the connection opens.
    std::string greeting() const;

    // Consumes client bytes and appends the replies to `output`. Never throws on any input.
    // After StartTls the remaining input is discarded (RFC 3207) and further input is ignored
    // until tlsStarted(); after Close all further input is ignored.
    SmtpAction consume(std::string_view input, std::string& output);

    // The TLS handshake succeeded: forget everything learnt before it (RFC 3207 4.2).
    void tlsStarted();

    // The client was idle for idleTimeoutMs: returns the 421 4.4.2 reply and closes.
    std::string timeout();

    // The connection is over for a reason outside the protocol (client hung up, TLS failed).
    void connectionLost(const std::string& reason);

    bool closed() const { return state_ == State::Closed; }
    bool tlsActive() const { return tls_; }
    const SmtpSessionSummary& summary() const { return summary_; }

  private:
    enum class State {
        Command,        // reading command lines
        AuthPlain,      // AUTH PLAIN sent 334, waiting for the response line
        AuthLoginUser,  // AUTH LOGIN sent 334 Username:
        AuthLoginPass,  // AUTH LOGIN sent 334 Password:
        Data,           // reading the message after 354
        AwaitingTls,    // STARTTLS accepted; input ignored until tlsStarted()
        Closed,
    };

    void consumeLine(std::string_view line, std::string& output);
    void consumeData(std::string_view& input, std::string& output);
    void finishData(std::string& output);

    void handleCommand(std::string_view line, std::string& output);
    void handleEhlo(std::string_view argument, bool extended, std::string& output);
    void handleAuth(std::string_view argument, std::string& output);
    void handleAuthResponse(std::string_view line, std::string& output);
    void handleMail(std::string_view argument, std::string& output);
    void handleRcpt(std::string_view argument, std::string& output);
    void handleData(std::string_view argument, std::string& output);
    void handleStartTls(std::string_view argument, std::string& output);

    void checkCredentials(const std::string& authorizationId, const std::string& user,
                          const std::string& password, std::string& output);
    void authFailed(std::string& output);
    // A client error: sends the reply, counts it, closes after maxErrors.
    void clientError(int code, std::string_view enhanced, std::string_view text,
                     std::string& output);
    void close(std::string_view enhanced, std::string_view text, std::string_view reason,
               std::string& output);
    void resetTransaction();

    const SmtpSessionOptions options_;
    SmtpServices& services_;
    const std::string clientAddress_;
    const bool clientTrusted_;

    State state_ = State::Command;
    bool tls_ = false;
    bool greeted_ = false;   // HELO or EHLO seen
    std::string user_;       // authenticated user; empty = not authenticated
    std::string loginUser_;  // AUTH LOGIN: user name between the two 334s

    // Current mail transaction.
    bool inTransaction_ = false;  // MAIL accepted
    SmtpEnvelope envelope_;
    std::string message_;
    bool messageTooBig_ = false;
    bool messageLineTooLong_ = false;
    size_t declaredSizeBytes_ = 0;  // MAIL FROM SIZE=, 0 = not given

    // Partial line carried between consume() calls.
    std::string line_;
    bool lineTooLong_ = false;  // the current line passed its limit; skipping to its LF

    SmtpSessionSummary summary_;
};

// Formats one reply, sanitised: control characters in `text` become '?', long texts are cut,
// '\n' in `text` makes a multi-line reply. `code` outside 200..599 is reported as 451 4.3.0.
std::string formatSmtpReply(int code, std::string_view enhanced, std::string_view text);

}  // namespace faxgate::gateway
