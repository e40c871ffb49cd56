// The ESMTP state machine. See smtp_session.h for what it supports and its limits.
// Reply texts follow Postfix's where one exists, so that administrators recognise them.
#include "gateway/smtp/smtp_session.h"

#include <algorithm>
#include <exception>
#include <optional>

#include "gateway/smtp/recipient.h"

namespace faxgate::gateway {
namespace {

constexpr size_t kMaxReplyLineTextBytes = 400;  // keeps every reply line under RFC 5321's 512
constexpr size_t kMaxReplyLines = 32;
constexpr size_t kMaxReversePathBytes = 256;  // RFC 5321 4.5.3.1.3
constexpr size_t kMaxUserIdBytes = 256;
constexpr size_t kMaxMailParameters = 8;
constexpr size_t kMaxSizeParameterDigits = 20;

std::string toUpper(std::string_view text) {
    std::string result(text);
    for (char& c : result)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return result;
}

bool startsWithIgnoreCase(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && toUpper(text.substr(0, prefix.size())) == prefix;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

bool hasControlOrNonAscii(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte < 0x20 || byte >= 0x7f;
    });
}

// Strict RFC 4648 base64 (padding optional, no whitespace). Empty optional on bad input.
std::optional<std::string> decodeBase64(std::string_view text) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    size_t padding = 0;
    while (!text.empty() && text.back() == '=' && padding < 2) {
        text.remove_suffix(1);
        ++padding;
    }
    if (padding > 0 && (text.size() + padding) % 4 != 0) return std::nullopt;
    if (text.size() % 4 == 1) return std::nullopt;
    std::string result;
    result.reserve(text.size() * 3 / 4);
    uint32_t bits = 0;
    int bitCount = 0;
    for (char c : text) {
        const int v = value(c);
        if (v < 0) return std::nullopt;
        bits = (bits << 6) | static_cast<uint32_t>(v);
        bitCount += 6;
        if (bitCount >= 8) {
            bitCount -= 8;
            result.push_back(static_cast<char>((bits >> bitCount) & 0xff));
        }
    }
    return result;
}

bool validEnhancedCode(std::string_view enhanced, int code) {
    // class.subject.detail: class is the first digit of the code, the others 1..3 digits.
    if (enhanced.size() < 5 || enhanced[0] != static_cast<char>('0' + code / 100) ||
        enhanced[1] != '.')
        return false;
    size_t digits = 0;
    int dots = 0;
    for (size_t i = 2; i < enhanced.size(); ++i) {
        const char c = enhanced[i];
        if (c >= '0' && c <= '9') {
            if (++digits > 3) return false;
        } else if (c == '.' && digits > 0 && dots == 0) {
            ++dots;
            digits = 0;
        } else {
            return false;
        }
    }
    return dots == 1 && digits > 0;
}

// Splits "<path> PARAM PARAM" (or "path PARAM") into the path and the parameter text.
void splitPathAndParameters(std::string_view text, std::string_view& path,
                            std::string_view& parameters) {
    text = trim(text);
    size_t end;
    if (!text.empty() && text.front() == '<') {
        end = text.find('>');
        end = end == std::string_view::npos ? text.size() : end + 1;
    } else {
        end = std::min(text.find(' '), text.size());
    }
    path = text.substr(0, end);
    parameters = trim(text.substr(end));
}

std::vector<std::string_view> splitWords(std::string_view text) {
    std::vector<std::string_view> words;
    while (!(text = trim(text)).empty()) {
        const size_t end = std::min(text.find_first_of(" \t"), text.size());
        words.push_back(text.substr(0, end));
        text.remove_prefix(end);
    }
    return words;
}

}  // namespace

std::string formatSmtpReply(int code, std::string_view enhanced, std::string_view text) {
    if (code < 200 || code > 599) {
        code = 451;
        enhanced = "4.3.0";
        text = "Local error in processing";
    }
    if (!enhanced.empty() && !validEnhancedCode(enhanced, code)) enhanced = {};
    std::vector<std::string> lines;
    do {
        const size_t newline = std::min(text.find('\n'), text.size());
        std::string line(text.substr(0, std::min(newline, kMaxReplyLineTextBytes)));
        while (!line.empty() && line.back() == '\r') line.pop_back();
        for (char& c : line) {
            const auto byte = static_cast<unsigned char>(c);
            if (byte < 0x20 || byte >= 0x7f) c = '?';
        }
        lines.push_back(std::move(line));
        text.remove_prefix(std::min(newline + 1, text.size()));
    } while (!text.empty() && lines.size() < kMaxReplyLines);

    const std::string codeText = std::to_string(code);
    std::string reply;
    for (size_t i = 0; i < lines.size(); ++i) {
        reply += codeText;
        reply += i + 1 < lines.size() ? '-' : ' ';
        if (!enhanced.empty()) {
            reply += enhanced;
            if (!lines[i].empty()) reply += ' ';
        }
        reply += lines[i];
        reply += "\r\n";
    }
    return reply;
}

SmtpSession::SmtpSession(SmtpSessionOptions options, SmtpServices& services,
                         std::string clientAddress, bool clientTrusted)
    : options_(std::move(options)),
      services_(services),
      clientAddress_(std::move(clientAddress)),
      clientTrusted_(clientTrusted && !options_.trustedUser.empty()) {}

std::string SmtpSession::greeting() const {
    return formatSmtpReply(220, "", options_.hostname + " ESMTP faxgate");
}

SmtpAction SmtpSession::consume(std::string_view input, std::string& output) {
    try {
        while (!input.empty() && state_ != State::Closed && state_ != State::AwaitingTls) {
            if (state_ == State::Data) {
                consumeData(input, output);
                continue;
            }
            const size_t newline = input.find('\n');
            const std::string_view piece = input.substr(0, newline);
            if (!lineTooLong_) {
                // +1 for the LF: the limit counts the line end.
                if (line_.size() + piece.size() + 1 > options_.limits.maxCommandLineBytes) {
                    lineTooLong_ = true;
                    std::string().swap(line_);
                } else {
                    line_.append(piece);
                }
            }
            if (newline == std::string_view::npos) break;
            input.remove_prefix(newline + 1);
            if (lineTooLong_) {
                lineTooLong_ = false;
                state_ = State::Command;  // abandons an AUTH dialog in progress
                clientError(500, "5.5.6", "Error: line too long", output);
                continue;
            }
            std::string line;
            line.swap(line_);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            consumeLine(line, output);
        }
    } catch (const std::exception& error) {
        // Only resource exhaustion can get here (std::bad_alloc); the client is not to blame.
        if (state_ != State::Closed)
            close("4.3.0", "Error: local error in processing",
                  std::string("local error: ") + error.what(), output);
    }
    switch (state_) {
        case State::Closed:
            return SmtpAction::Close;
        case State::AwaitingTls:
            return SmtpAction::StartTls;
        default:
            return SmtpAction::Continue;
    }
}

void SmtpSession::tlsStarted() {
    tls_ = true;
    greeted_ = false;
    user_.clear();
    loginUser_.clear();
    summary_.user.clear();
    resetTransaction();
    std::string().swap(line_);
    lineTooLong_ = false;
    state_ = State::Command;
}

std::string SmtpSession::timeout() {
    std::string output;
    if (state_ != State::Closed) close("4.4.2", "Error: timeout exceeded", "idle timeout", output);
    return output;
}

void SmtpSession::connectionLost(const std::string& reason) {
    if (state_ == State::Closed) return;
    summary_.endReason = reason;
    state_ = State::Closed;
}

void SmtpSession::consumeLine(std::string_view line, std::string& output) {
    switch (state_) {
        case State::Command:
            handleCommand(line, output);
            break;
        case State::AuthPlain:
        case State::AuthLoginUser:
        case State::AuthLoginPass:
            handleAuthResponse(line, output);
            break;
        default:
            break;
    }
}

void SmtpSession::consumeData(std::string_view& input, std::string& output) {
    const size_t maxLine = options_.limits.maxDataLineBytes;
    while (!input.empty()) {
        const size_t newline = input.find('\n');
        const std::string_view piece = input.substr(0, newline);
        if (!lineTooLong_) {
            if (line_.size() + piece.size() + 1 > maxLine) {
                lineTooLong_ = true;
                messageLineTooLong_ = true;
                line_.clear();
            } else {
                line_.append(piece);
            }
        }
        if (newline == std::string_view::npos) {
            input = {};
            return;
        }
        input.remove_prefix(newline + 1);
        if (lineTooLong_) {
            lineTooLong_ = false;
            continue;
        }
        std::string_view line = line_;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line == ".") {
            line_.clear();
            finishData(output);
            return;
        }
        if (!line.empty() && line.front() == '.') line.remove_prefix(1);  // dot-unstuffing
        if (!messageTooBig_) {
            if (message_.size() + line.size() + 2 > options_.limits.maxMessageBytes) {
                // Keep reading to the final dot so the reply lines up, but stop storing.
                messageTooBig_ = true;
                std::string().swap(message_);
            } else {
                message_.append(line);
                message_.append("\r\n");
            }
        }
        line_.clear();
    }
}

void SmtpSession::finishData(std::string& output) {
    state_ = State::Command;
    SmtpReply reply;
    if (messageTooBig_) {
        reply = {552, "5.3.4",
                 "Error: message too big: the limit is " +
                     std::to_string(options_.limits.maxMessageBytes) + " bytes"};
    } else if (messageLineTooLong_) {
        reply = {554, "5.6.0",
                 "Error: message has a line longer than " +
                     std::to_string(options_.limits.maxDataLineBytes) +
                     " bytes; encode attachments (base64)"};
    } else {
        envelope_.clientAddress = clientAddress_;
        envelope_.tls = tls_;
        try {
            reply = services_.submit(envelope_, std::move(message_));
        } catch (const std::exception&) {
            reply = {451, "4.3.0", "Error: local error in processing, try again later"};
        }
        if (reply.code < 200 || reply.code > 599)
            reply = {451, "4.3.0", "Error: local error in processing, try again later"};
    }
    if (reply.code < 400) {
        ++summary_.messagesAccepted;
    } else {
        ++summary_.messagesRefused;
        summary_.lastRefusal = std::to_string(reply.code) + " " + reply.enhanced;
    }
    output += formatSmtpReply(reply.code, reply.enhanced, reply.text);
    resetTransaction();
}

void SmtpSession::handleCommand(std::string_view line, std::string& output) {
    const size_t space = std::min(line.find(' '), line.size());
    const std::string verb = toUpper(line.substr(0, std::min<size_t>(space, 16)));
    const std::string_view argument = trim(line.substr(space));

    if (verb == "EHLO" || verb == "HELO") {
        handleEhlo(argument, verb == "EHLO", output);
    } else if (verb == "AUTH") {
        handleAuth(argument, output);
    } else if (verb == "MAIL") {
        handleMail(argument, output);
    } else if (verb == "RCPT") {
        handleRcpt(argument, output);
    } else if (verb == "DATA") {
        handleData(argument, output);
    } else if (verb == "STARTTLS") {
        handleStartTls(argument, output);
    } else if (verb == "RSET") {
        if (!argument.empty()) return clientError(501, "5.5.4", "Syntax: RSET", output);
        resetTransaction();
        output += formatSmtpReply(250, "2.0.0", "Ok");
    } else if (verb == "NOOP") {
        output += formatSmtpReply(250, "2.0.0", "Ok");
    } else if (verb == "QUIT") {
        output += formatSmtpReply(221, "2.0.0", "Bye");
        summary_.endReason = "quit";
        state_ = State::Closed;
    } else if (verb == "VRFY") {
        if (argument.empty()) return clientError(501, "5.5.4", "Syntax: VRFY address", output);
        output += formatSmtpReply(
            252, "2.5.2",
            "Cannot VRFY user, but will accept mail for fax numbers @" + options_.faxDomain);
    } else if (verb == "HELP") {
        output += formatSmtpReply(
            214, "2.0.0",
            "Commands: EHLO HELO AUTH MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS\n"
            "Send a document to <number>@" +
                options_.faxDomain + " to fax it");
    } else if (verb == "GET" || verb == "POST" || verb == "HEAD" || verb == "PUT" ||
               verb == "CONNECT") {
        // A browser or a proxy abuse attempt talking to the SMTP port: do not play along.
        close("5.5.1", "Error: this is an SMTP server", "non-SMTP command", output);
    } else {
        clientError(500, "5.5.2", "Error: command not recognized", output);
    }
}

void SmtpSession::handleEhlo(std::string_view argument, bool extended, std::string& output) {
    if (argument.empty())
        return clientError(501, "5.5.4",
                           extended ? "Syntax: EHLO hostname" : "Syntax: HELO hostname", output);
    resetTransaction();
    greeted_ = true;
    if (!extended) {
        output += formatSmtpReply(250, "", options_.hostname);
        return;
    }
    std::string text = options_.hostname;
    text += "\nPIPELINING";
    text += "\nSIZE " + std::to_string(options_.limits.maxMessageBytes);
    text += "\n8BITMIME";
    text += "\nENHANCEDSTATUSCODES";
    if (options_.tlsAvailable && !tls_) text += "\nSTARTTLS";
    if (!options_.requireTlsForAuth || tls_) text += "\nAUTH PLAIN LOGIN";
    output += formatSmtpReply(250, "", text);
}

void SmtpSession::handleAuth(std::string_view argument, std::string& output) {
    if (!greeted_) return clientError(503, "5.5.1", "Error: send EHLO first", output);
    if (!user_.empty()) return clientError(503, "5.5.1", "Error: already authenticated", output);
    if (inTransaction_)
        return clientError(503, "5.5.1", "Error: MAIL transaction in progress", output);
    if (options_.requireTlsForAuth && !tls_)
        return clientError(530, "5.7.0", "Must issue a STARTTLS command first", output);

    const std::vector<std::string_view> words = splitWords(argument);
    if (words.empty() || words.size() > 2)
        return clientError(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]", output);
    const std::string mechanism = toUpper(words[0]);
    const bool hasInitialResponse = words.size() == 2;

    if (mechanism == "PLAIN") {
        state_ = State::AuthPlain;
        if (hasInitialResponse) return handleAuthResponse(words[1], output);
        output += formatSmtpReply(334, "", "");
    } else if (mechanism == "LOGIN") {
        state_ = State::AuthLoginUser;
        if (hasInitialResponse) return handleAuthResponse(words[1], output);
        output += formatSmtpReply(334, "", "VXNlcm5hbWU6");  // "Username:"
    } else {
        clientError(504, "5.5.4", "Error: unsupported authentication mechanism", output);
    }
}

void SmtpSession::handleAuthResponse(std::string_view line, std::string& output) {
    const State step = state_;
    state_ = State::Command;
    if (line == "*") return clientError(501, "5.7.0", "Authentication aborted", output);
    // "=" is an empty initial response (RFC 4954 4).
    std::optional<std::string> decoded =
        line == "=" ? std::optional<std::string>(std::string()) : decodeBase64(line);
    if (!decoded) return clientError(501, "5.5.2", "Cannot decode the Base64 response", output);

    if (step == State::AuthPlain) {
        // authorization-id NUL authentication-id NUL password
        const size_t first = decoded->find('\0');
        const size_t second =
            first == std::string::npos ? std::string::npos : decoded->find('\0', first + 1);
        if (second == std::string::npos || decoded->find('\0', second + 1) != std::string::npos)
            return clientError(501, "5.5.2", "Malformed PLAIN response", output);
        checkCredentials(decoded->substr(0, first), decoded->substr(first + 1, second - first - 1),
                         decoded->substr(second + 1), output);
    } else if (step == State::AuthLoginUser) {
        loginUser_ = std::move(*decoded);
        state_ = State::AuthLoginPass;
        output += formatSmtpReply(334, "", "UGFzc3dvcmQ6");  // "Password:"
    } else {
        std::string user;
        user.swap(loginUser_);
        checkCredentials("", user, *decoded, output);
    }
}

void SmtpSession::checkCredentials(const std::string& authorizationId, const std::string& user,
                                   const std::string& password, std::string& output) {
    // Acting for another user is not offered; an empty or malformed user ID cannot be right,
    // so the slow password check is skipped but it still counts as a failure.
    if ((!authorizationId.empty() && authorizationId != user) || user.empty() || password.empty() ||
        user.size() > kMaxUserIdBytes || hasControlOrNonAscii(user))
        return authFailed(output);
    bool accepted = false;
    try {
        accepted = services_.authenticate(user, password);
    } catch (const std::exception&) {
        output += formatSmtpReply(454, "4.7.0", "Temporary authentication failure");
        return;
    }
    if (!accepted) return authFailed(output);
    user_ = user;
    summary_.user = user;
    output += formatSmtpReply(235, "2.7.0", "Authentication successful");
}

void SmtpSession::authFailed(std::string& output) {
    ++summary_.authFailures;
    output += formatSmtpReply(535, "5.7.8", "Error: authentication failed");
    if (summary_.authFailures >= options_.limits.maxAuthFailures)
        close("4.7.0", "Error: too many failed authentication attempts",
              "too many authentication failures", output);
}

void SmtpSession::handleMail(std::string_view argument, std::string& output) {
    if (!greeted_) return clientError(503, "5.5.1", "Error: send HELO/EHLO first", output);
    if (inTransaction_) return clientError(503, "5.5.1", "Error: nested MAIL command", output);
    if (!startsWithIgnoreCase(argument, "FROM:"))
        return clientError(501, "5.5.4", "Syntax: MAIL FROM:<address>", output);
    if (user_.empty() && !clientTrusted_)
        return clientError(530, "5.7.0", "Authentication required", output);

    std::string_view path, parameters;
    splitPathAndParameters(argument.substr(5), path, parameters);
    if (path.size() < 2 || path.front() != '<' || path.back() != '>')
        return clientError(501, "5.1.7", "Syntax: MAIL FROM:<address>", output);
    path = path.substr(1, path.size() - 2);
    if (!path.empty()) {
        if (path.size() > kMaxReversePathBytes)
            return clientError(501, "5.1.7", "Error: sender address too long", output);
        if (path.front() == '@')
            return clientError(501, "5.1.7", "Error: source routes are not accepted", output);
        const size_t at = path.rfind('@');
        if (hasControlOrNonAscii(path) || path.find_first_of(" <>") != std::string_view::npos ||
            at == std::string_view::npos || at == 0 || at + 1 == path.size())
            return clientError(501, "5.1.7", "Error: bad sender address syntax", output);
    }

    size_t declaredSize = 0;
    const std::vector<std::string_view> words = splitWords(parameters);
    if (words.size() > kMaxMailParameters)
        return clientError(501, "5.5.4", "Error: too many MAIL parameters", output);
    for (std::string_view word : words) {
        const size_t equals = std::min(word.find('='), word.size());
        const std::string keyword = toUpper(word.substr(0, equals));
        const std::string_view value = word.substr(std::min(equals + 1, word.size()));
        if (keyword == "SIZE") {
            if (value.empty() || value.size() > kMaxSizeParameterDigits ||
                value.find_first_not_of("0123456789") != std::string_view::npos)
                return clientError(501, "5.5.4", "Error: bad SIZE parameter", output);
            // 20 digits may not fit: anything with more digits than the limit is over it.
            const std::string limit = std::to_string(options_.limits.maxMessageBytes);
            const std::string_view digits =
                trim(value.substr(std::min(value.find_first_not_of('0'), value.size())));
            if (digits.size() > limit.size() ||
                (digits.size() == limit.size() && digits > std::string_view(limit)))
                return clientError(552, "5.3.4",
                                   "Error: message size exceeds the limit of " + limit + " bytes",
                                   output);
            declaredSize = digits.empty() ? 0 : std::stoull(std::string(digits));
        } else if (keyword == "BODY") {
            const std::string body = toUpper(value);
            if (body != "7BIT" && body != "8BITMIME")
                return clientError(501, "5.5.4", "Error: unsupported BODY type", output);
        } else if (keyword == "AUTH") {
            // RFC 4954 5: the original submitter; a submission server may ignore it.
        } else {
            return clientError(555, "5.5.4", "Error: unsupported MAIL parameter", output);
        }
    }

    resetTransaction();
    inTransaction_ = true;
    declaredSizeBytes_ = declaredSize;
    envelope_.user = user_.empty() ? options_.trustedUser : user_;
    envelope_.mailFrom = std::string(path);
    output += formatSmtpReply(250, "2.1.0", "Ok");
}

void SmtpSession::handleRcpt(std::string_view argument, std::string& output) {
    if (!inTransaction_) return clientError(503, "5.5.1", "Error: need MAIL command", output);
    if (!startsWithIgnoreCase(argument, "TO:"))
        return clientError(501, "5.5.4", "Syntax: RCPT TO:<address>", output);
    std::string_view path, parameters;
    splitPathAndParameters(argument.substr(3), path, parameters);
    if (!parameters.empty())
        return clientError(555, "5.5.4", "Error: unsupported RCPT parameter", output);
    if (envelope_.recipients.size() >= options_.limits.maxRecipients) {
        output += formatSmtpReply(452, "4.5.3", "Error: too many recipients");
        return;
    }
    ParsedRecipient parsed = parseFaxRecipient(path, options_.faxDomain);
    if (!parsed.recipient) {
        if (parsed.refusal.kind == RecipientRefusalKind::RelayDenied)
            return clientError(550, "5.7.1", parsed.refusal.reason, output);
        // A mistyped number is an ordinary refusal, not a protocol error.
        output += formatSmtpReply(550, "5.1.1", parsed.refusal.reason);
        return;
    }
    // The same number twice in one message would send the fax twice: keep one.
    const bool duplicate =
        std::any_of(envelope_.recipients.begin(), envelope_.recipients.end(),
                    [&](const FaxRecipient& r) { return r.number == parsed.recipient->number; });
    if (!duplicate) envelope_.recipients.push_back(std::move(*parsed.recipient));
    output += formatSmtpReply(250, "2.1.5", duplicate ? "Ok (duplicate number, faxed once)" : "Ok");
}

void SmtpSession::handleData(std::string_view argument, std::string& output) {
    if (!argument.empty()) return clientError(501, "5.5.4", "Syntax: DATA", output);
    if (!inTransaction_) return clientError(503, "5.5.1", "Error: need MAIL command", output);
    if (envelope_.recipients.empty())
        return clientError(554, "5.5.1", "Error: no valid recipients", output);
    std::string().swap(message_);
    // Reserve what SIZE announced, but never more than the limit: SIZE is the client's word.
    message_.reserve(std::min(declaredSizeBytes_, options_.limits.maxMessageBytes));
    messageTooBig_ = false;
    messageLineTooLong_ = false;
    state_ = State::Data;
    output += formatSmtpReply(354, "", "End data with <CR><LF>.<CR><LF>");
}

void SmtpSession::handleStartTls(std::string_view argument, std::string& output) {
    if (!argument.empty()) return clientError(501, "5.5.4", "Syntax: STARTTLS", output);
    if (!options_.tlsAvailable)
        return clientError(502, "5.5.1", "Error: STARTTLS is not available", output);
    if (tls_) return clientError(503, "5.5.1", "Error: TLS already active", output);
    output += formatSmtpReply(220, "2.0.0", "Ready to start TLS");
    // Anything pipelined after STARTTLS was sent in the clear: drop it (RFC 3207 4.2).
    std::string().swap(line_);
    state_ = State::AwaitingTls;
}

void SmtpSession::clientError(int code, std::string_view enhanced, std::string_view text,
                              std::string& output) {
    ++summary_.errors;
    output += formatSmtpReply(code, enhanced, text);
    if (summary_.errors >= options_.limits.maxErrors)
        close("4.7.0", "Error: too many errors", "too many errors", output);
}

void SmtpSession::close(std::string_view enhanced, std::string_view text, std::string_view reason,
                        std::string& output) {
    output += formatSmtpReply(421, enhanced.empty() || enhanced[0] == '4' ? enhanced : "4.7.0",
                              options_.hostname + " " + std::string(text));
    summary_.endReason = std::string(reason);
    state_ = State::Closed;
}

void SmtpSession::resetTransaction() {
    inTransaction_ = false;
    envelope_ = SmtpEnvelope();
    std::string().swap(message_);
    messageTooBig_ = false;
    messageLineTooLong_ = false;
    declaredSizeBytes_ = 0;
}

}  // namespace faxgate::gateway
