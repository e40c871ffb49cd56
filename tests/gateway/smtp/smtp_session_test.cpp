// Tests for SmtpSession, the ESMTP state machine, driven without sockets.
#include "gateway/smtp/smtp_session.h"

#include <gtest/gtest.h>

#include <random>
#include <regex>

#include "tests/gateway/smtp/fake_smtp_services.h"

namespace faxgate::gateway {
namespace {

// "\0alice\0secret" and "\0alice\0wrong" in base64.
constexpr const char* kPlainGood = "AGFsaWNlAHNlY3JldA==";
constexpr const char* kPlainBad = "AGFsaWNlAHdyb25n";
constexpr const char* kAlice = "YWxpY2U=";   // "alice"
constexpr const char* kSecret = "c2VjcmV0";  // "secret"
constexpr const char* kWrong = "d3Jvbmc=";   // "wrong"

class SmtpSessionTest : public ::testing::Test {
  protected:
    SmtpSession& session() {
        if (!session_) session_.emplace(options, services, "192.0.2.1:4321", trusted);
        return *session_;
    }
    std::string talk(std::string_view input) {
        std::string output;
        lastAction = session().consume(input, output);
        return output;
    }
    void authenticate() {
        ASSERT_EQ(talk("EHLO client.example\r\n").substr(0, 4), "250-");
        ASSERT_EQ(talk(std::string("AUTH PLAIN ") + kPlainGood + "\r\n"),
                  "235 2.7.0 Authentication successful\r\n");
    }

    SmtpSessionOptions options;
    FakeSmtpServices services;
    bool trusted = false;
    SmtpAction lastAction = SmtpAction::Continue;

  private:
    std::optional<SmtpSession> session_;
};

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

TEST_F(SmtpSessionTest, GreetsWith220) {
    EXPECT_EQ(session().greeting(), "220 localhost ESMTP faxgate\r\n");
}

TEST_F(SmtpSessionTest, EhloAdvertisesTheExtensions) {
    EXPECT_EQ(talk("EHLO client.example\r\n"),
              "250-localhost\r\n250-PIPELINING\r\n250-SIZE 26214400\r\n250-8BITMIME\r\n"
              "250-ENHANCEDSTATUSCODES\r\n250 AUTH PLAIN LOGIN\r\n");
}

TEST_F(SmtpSessionTest, EhloAdvertisesStartTlsOnlyWhenAvailableAndNotActive) {
    options.tlsAvailable = true;
    const std::string before = talk("EHLO client.example\r\n");
    EXPECT_TRUE(contains(before, "250-STARTTLS\r\n"));
    EXPECT_EQ(talk("STARTTLS\r\n"), "220 2.0.0 Ready to start TLS\r\n");
    EXPECT_EQ(lastAction, SmtpAction::StartTls);
    session().tlsStarted();
    const std::string after = talk("EHLO client.example\r\n");
    EXPECT_FALSE(contains(after, "STARTTLS"));
    EXPECT_TRUE(contains(after, "AUTH PLAIN LOGIN"));
    EXPECT_EQ(talk("STARTTLS\r\n"), "503 5.5.1 Error: TLS already active\r\n");
}

TEST_F(SmtpSessionTest, StartTlsWithoutCertificateIsRefused) {
    talk("EHLO c\r\n");
    EXPECT_EQ(talk("STARTTLS\r\n"), "502 5.5.1 Error: STARTTLS is not available\r\n");
    EXPECT_EQ(lastAction, SmtpAction::Continue);
}

TEST_F(SmtpSessionTest, RequireTlsForAuthHidesAuthUntilTls) {
    options.tlsAvailable = true;
    options.requireTlsForAuth = true;
    EXPECT_FALSE(contains(talk("EHLO c\r\n"), "AUTH"));
    EXPECT_EQ(talk(std::string("AUTH PLAIN ") + kPlainGood + "\r\n"),
              "530 5.7.0 Must issue a STARTTLS command first\r\n");
    talk("STARTTLS\r\n");
    session().tlsStarted();
    EXPECT_TRUE(contains(talk("EHLO c\r\n"), "250 AUTH PLAIN LOGIN\r\n"));
    EXPECT_EQ(talk(std::string("AUTH PLAIN ") + kPlainGood + "\r\n"),
              "235 2.7.0 Authentication successful\r\n");
}

TEST_F(SmtpSessionTest, StartTlsDiscardsPipelinedCommandsAndResetsState) {
    options.tlsAvailable = true;
    authenticate();
    // The MAIL after STARTTLS was sent in the clear and must not be acted on.
    EXPECT_EQ(talk("STARTTLS\r\nMAIL FROM:<a@example.com>\r\n"),
              "220 2.0.0 Ready to start TLS\r\n");
    EXPECT_EQ(lastAction, SmtpAction::StartTls);
    EXPECT_EQ(talk("NOOP\r\n"), "");  // ignored until the handshake is done
    session().tlsStarted();
    EXPECT_TRUE(session().tlsActive());
    EXPECT_EQ(talk("MAIL FROM:<a@example.com>\r\n"), "503 5.5.1 Error: send HELO/EHLO first\r\n");
    talk("EHLO c\r\n");
    // Authentication from before TLS is forgotten too.
    EXPECT_EQ(talk("MAIL FROM:<a@example.com>\r\n"), "530 5.7.0 Authentication required\r\n");
    authenticate();
    talk("MAIL FROM:<a@example.com>\r\nRCPT TO:<0312345678@fax.local>\r\nDATA\r\n");
    talk("x\r\n.\r\n");
    ASSERT_EQ(services.submissions().size(), 1u);
    EXPECT_TRUE(services.submissions()[0].envelope.tls);
}

TEST_F(SmtpSessionTest, AuthPlainWithInitialResponse) {
    authenticate();
    EXPECT_EQ(session().summary().user, "alice");
    EXPECT_EQ(talk(std::string("AUTH PLAIN ") + kPlainGood + "\r\n"),
              "503 5.5.1 Error: already authenticated\r\n");
}

TEST_F(SmtpSessionTest, AuthPlainWithContinuation) {
    talk("EHLO c\r\n");
    EXPECT_EQ(talk("AUTH PLAIN\r\n"), "334 \r\n");
    EXPECT_EQ(talk(std::string(kPlainGood) + "\r\n"), "235 2.7.0 Authentication successful\r\n");
}

TEST_F(SmtpSessionTest, AuthPlainBadPassword) {
    talk("EHLO c\r\n");
    EXPECT_EQ(talk(std::string("AUTH PLAIN ") + kPlainBad + "\r\n"),
              "535 5.7.8 Error: authentication failed\r\n");
    EXPECT_EQ(talk("MAIL FROM:<a@example.com>\r\n"), "530 5.7.0 Authentication required\r\n");
}

TEST_F(SmtpSessionTest, AuthPlainRefusesActingForAnotherUser) {
    talk("EHLO c\r\n");
    // "bob\0alice\0secret": right password, but asks to act as bob.
    EXPECT_EQ(talk("AUTH PLAIN Ym9iAGFsaWNlAHNlY3JldA==\r\n"),
              "535 5.7.8 Error: authentication failed\r\n");
    EXPECT_EQ(services.authenticateCalls(), 0);
}

TEST_F(SmtpSessionTest, AuthLogin) {
    talk("EHLO c\r\n");
    EXPECT_EQ(talk("AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6\r\n");
    EXPECT_EQ(talk(std::string(kAlice) + "\r\n"), "334 UGFzc3dvcmQ6\r\n");
    EXPECT_EQ(talk(std::string(kSecret) + "\r\n"), "235 2.7.0 Authentication successful\r\n");
}

TEST_F(SmtpSessionTest, AuthLoginWithInitialResponseAndBadPassword) {
    talk("EHLO c\r\n");
    EXPECT_EQ(talk(std::string("auth login ") + kAlice + "\r\n"), "334 UGFzc3dvcmQ6\r\n");
    EXPECT_EQ(talk(std::string(kWrong) + "\r\n"), "535 5.7.8 Error: authentication failed\r\n");
}

TEST_F(SmtpSessionTest, AuthCancelAndBadBase64) {
    talk("EHLO c\r\n");
    EXPECT_EQ(talk("AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6\r\n");
    EXPECT_EQ(talk("*\r\n"), "501 5.7.0 Authentication aborted\r\n");
    EXPECT_EQ(talk("AUTH PLAIN !!!\r\n"), "501 5.5.2 Cannot decode the Base64 response\r\n");
    EXPECT_EQ(talk("AUTH CRAM-MD5\r\n"),
              "504 5.5.4 Error: unsupported authentication mechanism\r\n");
    EXPECT_EQ(talk("AUTH PLAIN YWxpY2U=\r\n"), "501 5.5.2 Malformed PLAIN response\r\n");
}

TEST_F(SmtpSessionTest, AuthBeforeEhloIsABadSequence) {
    EXPECT_EQ(talk(std::string("AUTH PLAIN ") + kPlainGood + "\r\n"),
              "503 5.5.1 Error: send EHLO first\r\n");
}

TEST_F(SmtpSessionTest, ClosesAfterMaxAuthFailures) {
    options.limits.maxAuthFailures = 3;
    talk("EHLO c\r\n");
    const std::string bad = std::string("AUTH PLAIN ") + kPlainBad + "\r\n";
    talk(bad);
    talk(bad);
    EXPECT_EQ(lastAction, SmtpAction::Continue);
    EXPECT_EQ(talk(bad),
              "535 5.7.8 Error: authentication failed\r\n"
              "421 4.7.0 localhost Error: too many failed authentication attempts\r\n");
    EXPECT_EQ(lastAction, SmtpAction::Close);
    EXPECT_TRUE(session().closed());
    EXPECT_EQ(talk("QUIT\r\n"), "");
}

TEST_F(SmtpSessionTest, MailBeforeAuthIsRefused) {
    talk("EHLO c\r\n");
    EXPECT_EQ(talk("MAIL FROM:<a@example.com>\r\n"), "530 5.7.0 Authentication required\r\n");
}

TEST_F(SmtpSessionTest, TrustedClientSubmitsAsTrustedUser) {
    trusted = true;
    options.trustedUser = "scanner";
    talk("EHLO c\r\n");
    EXPECT_EQ(talk("MAIL FROM:<scan@example.com>\r\nRCPT TO:<0312345678@fax.local>\r\nDATA\r\n"),
              "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
    talk("Subject: scan\r\n\r\nx\r\n.\r\n");
    ASSERT_EQ(services.submissions().size(), 1u);
    EXPECT_EQ(services.submissions()[0].envelope.user, "scanner");
}

TEST_F(SmtpSessionTest, TrustedClientWithoutTrustedUserMustAuthenticate) {
    trusted = true;
    talk("EHLO c\r\n");
    EXPECT_EQ(talk("MAIL FROM:<scan@example.com>\r\n"), "530 5.7.0 Authentication required\r\n");
}

TEST_F(SmtpSessionTest, PipelinedSubmissionWithDotUnstuffing) {
    authenticate();
    EXPECT_EQ(talk("MAIL FROM:<bob@example.com> SIZE=100 BODY=8BITMIME\r\n"
                   "RCPT TO:<0312345678@fax.local>\r\n"
                   "RCPT TO:<FAX=+81-3-1234-5678/T33S=12@FAX.LOCAL>\r\n"
                   "DATA\r\n"),
              "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
              "354 End data with <CR><LF>.<CR><LF>\r\n");
    EXPECT_EQ(talk("Subject: test\r\n\r\n..leading dot\r\n.\r\nQUIT\r\n"),
              "250 2.0.0 Ok: queued as job 1\r\n221 2.0.0 Bye\r\n");
    EXPECT_EQ(lastAction, SmtpAction::Close);
    const auto submissions = services.submissions();
    ASSERT_EQ(submissions.size(), 1u);
    const auto& submission = submissions[0];
    EXPECT_EQ(submission.message, "Subject: test\r\n\r\n.leading dot\r\n");
    EXPECT_EQ(submission.envelope.user, "alice");
    EXPECT_EQ(submission.envelope.mailFrom, "bob@example.com");
    EXPECT_EQ(submission.envelope.clientAddress, "192.0.2.1:4321");
    EXPECT_FALSE(submission.envelope.tls);
    ASSERT_EQ(submission.envelope.recipients.size(), 2u);
    EXPECT_EQ(submission.envelope.recipients[0].number, "0312345678");
    EXPECT_EQ(submission.envelope.recipients[1].number, "+81312345678");
    EXPECT_EQ(session().summary().messagesAccepted, 1);
    EXPECT_EQ(session().summary().endReason, "quit");
}

TEST_F(SmtpSessionTest, DotStuffedLinesAreUnstuffed) {
    authenticate();
    talk("MAIL FROM:<>\r\nRCPT TO:<0312345678@fax.local>\r\nDATA\r\n");
    talk(".\x2e.\r\n...\r\n.x\r\n.\r\n");
    ASSERT_EQ(services.submissions().size(), 1u);
    EXPECT_EQ(services.submissions()[0].message, "..\r\n..\r\nx\r\n");
    EXPECT_EQ(services.submissions()[0].envelope.mailFrom, "");
}

TEST_F(SmtpSessionTest, BareLineFeedsAreAcceptedAndNormalised) {
    authenticate();
    EXPECT_EQ(talk("MAIL FROM:<a@example.com>\nRCPT TO:<0312345678@fax.local>\nDATA\n"),
              "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
    EXPECT_EQ(talk("Subject: x\n\nbody\n..dot\n.\n"), "250 2.0.0 Ok: queued as job 1\r\n");
    ASSERT_EQ(services.submissions().size(), 1u);
    EXPECT_EQ(services.submissions()[0].message, "Subject: x\r\n\r\nbody\r\n.dot\r\n");
}

TEST_F(SmtpSessionTest, SizeParameterOverTheLimitIsRefused) {
    options.limits.maxMessageBytes = 1000;
    authenticate();
    EXPECT_EQ(talk("MAIL FROM:<a@example.com> SIZE=1001\r\n"),
              "552 5.3.4 Error: message size exceeds the limit of 1000 bytes\r\n");
    EXPECT_EQ(talk("MAIL FROM:<a@example.com> SIZE=99999999999999999999\r\n"),
              "552 5.3.4 Error: message size exceeds the limit of 1000 bytes\r\n");
    EXPECT_EQ(talk("MAIL FROM:<a@example.com> SIZE=1000\r\n"), "250 2.1.0 Ok\r\n");
}

TEST_F(SmtpSessionTest, OversizeMessageIsReadToTheEndThenRefused) {
    options.limits.maxMessageBytes = 1024;
    authenticate();
    talk("MAIL FROM:<a@example.com>\r\nRCPT TO:<0312345678@fax.local>\r\nDATA\r\n");
    std::string body;
    for (int i = 0; i < 100; ++i) body += std::string(60, 'x') + "\r\n";
    EXPECT_EQ(talk(body), "");
    EXPECT_EQ(talk(".\r\n"), "552 5.3.4 Error: message too big: the limit is 1024 bytes\r\n");
    EXPECT_TRUE(services.submissions().empty());
    EXPECT_EQ(session().summary().lastRefusal, "552 5.3.4");
    // The session goes on: the transaction was reset.
    EXPECT_EQ(talk("RCPT TO:<0312345678@fax.local>\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
    EXPECT_EQ(talk("NOOP\r\n"), "250 2.0.0 Ok\r\n");
}

TEST_F(SmtpSessionTest, OverlongDataLineIsRefusedAtTheEnd) {
    authenticate();
    talk("MAIL FROM:<a@example.com>\r\nRCPT TO:<0312345678@fax.local>\r\nDATA\r\n");
    EXPECT_EQ(talk(std::string(998, 'y') + "\r\n"), "");  // exactly the limit: fine
    EXPECT_EQ(talk(std::string(999, 'y') + "\r\n"), "");
    EXPECT_EQ(talk(".\r\n"),
              "554 5.6.0 Error: message has a line longer than 1000 bytes; encode attachments "
              "(base64)\r\n");
    EXPECT_TRUE(services.submissions().empty());
}

TEST_F(SmtpSessionTest, OverlongCommandLineIsRefused) {
    talk("EHLO c\r\n");
    EXPECT_EQ(talk("NOOP " + std::string(20000, 'a') + "\r\nNOOP\r\n"),
              "500 5.5.6 Error: line too long\r\n250 2.0.0 Ok\r\n");
}

TEST_F(SmtpSessionTest, TooManyRecipients) {
    options.limits.maxRecipients = 2;
    authenticate();
    EXPECT_EQ(
        talk("MAIL FROM:<a@example.com>\r\nRCPT TO:<111@fax.local>\r\n"
             "RCPT TO:<222@fax.local>\r\nRCPT TO:<333@fax.local>\r\n"),
        "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n452 4.5.3 Error: too many recipients\r\n");
}

TEST_F(SmtpSessionTest, DuplicateNumberIsFaxedOnce) {
    authenticate();
    talk("MAIL FROM:<a@example.com>\r\nRCPT TO:<0312345678@fax.local>\r\n");
    EXPECT_EQ(talk("RCPT TO:<03-1234-5678@fax.local>\r\n"),
              "250 2.1.5 Ok (duplicate number, faxed once)\r\n");
    talk("DATA\r\nx\r\n.\r\n");
    ASSERT_EQ(services.submissions().size(), 1u);
    EXPECT_EQ(services.submissions()[0].envelope.recipients.size(), 1u);
}

TEST_F(SmtpSessionTest, RefusedRecipients) {
    authenticate();
    talk("MAIL FROM:<a@example.com>\r\n");
    EXPECT_EQ(
        talk("RCPT TO:<bob@example.com>\r\n"),
        "550 5.7.1 relay not permitted: this gateway only accepts fax numbers @fax.local\r\n");
    EXPECT_EQ(talk("RCPT TO:<03ABC@fax.local>\r\n"),
              "550 5.1.1 letters are not allowed in a fax number\r\n");
    EXPECT_EQ(talk("RCPT TO:<0312345678@fax.local> NOTIFY=NEVER\r\n"),
              "555 5.5.4 Error: unsupported RCPT parameter\r\n");
    EXPECT_EQ(talk("DATA\r\n"), "554 5.5.1 Error: no valid recipients\r\n");
}

TEST_F(SmtpSessionTest, RsetClearsTheTransaction) {
    authenticate();
    talk("MAIL FROM:<a@example.com>\r\nRCPT TO:<0312345678@fax.local>\r\n");
    EXPECT_EQ(talk("RSET\r\n"), "250 2.0.0 Ok\r\n");
    EXPECT_EQ(talk("DATA\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
    EXPECT_EQ(talk("MAIL FROM:<a@example.com>\r\n"), "250 2.1.0 Ok\r\n");  // still authenticated
}

TEST_F(SmtpSessionTest, BadSequenceAndSyntax) {
    EXPECT_EQ(talk("MAIL FROM:<a@example.com>\r\n"), "503 5.5.1 Error: send HELO/EHLO first\r\n");
    EXPECT_EQ(talk("EHLO\r\n"), "501 5.5.4 Syntax: EHLO hostname\r\n");
    EXPECT_EQ(talk("HELO c\r\n"), "250 localhost\r\n");
    EXPECT_EQ(talk("RCPT TO:<0312345678@fax.local>\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
    EXPECT_EQ(talk("DATA\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
    EXPECT_EQ(talk("XYZZY\r\n"), "500 5.5.2 Error: command not recognized\r\n");
    EXPECT_EQ(talk(std::string("AUTH PLAIN ") + kPlainGood + "\r\n"),
              "235 2.7.0 Authentication successful\r\n");
    EXPECT_EQ(talk("MAIL TO:<a@example.com>\r\n"), "501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
    EXPECT_EQ(talk("MAIL FROM:a@example.com\r\n"), "501 5.1.7 Syntax: MAIL FROM:<address>\r\n");
    EXPECT_EQ(talk("MAIL FROM:<no-at-sign>\r\n"), "501 5.1.7 Error: bad sender address syntax\r\n");
    EXPECT_EQ(talk("MAIL FROM:<a@example.com> BODY=BINARYMIME\r\n"),
              "501 5.5.4 Error: unsupported BODY type\r\n");
    EXPECT_EQ(talk("MAIL FROM:<a@example.com> RET=HDRS\r\n"),
              "555 5.5.4 Error: unsupported MAIL parameter\r\n");
    EXPECT_EQ(talk("MAIL FROM: <a@example.com>\r\n"), "250 2.1.0 Ok\r\n");
    EXPECT_EQ(talk("MAIL FROM:<a@example.com>\r\n"), "503 5.5.1 Error: nested MAIL command\r\n");
    EXPECT_EQ(talk("DATA now\r\n"), "501 5.5.4 Syntax: DATA\r\n");
    EXPECT_EQ(talk("VRFY someone\r\n").substr(0, 10), "252 2.5.2 ");
    EXPECT_EQ(talk("HELP\r\n").substr(0, 10), "214-2.0.0 ");
}

TEST_F(SmtpSessionTest, ClosesAfterMaxErrors) {
    options.limits.maxErrors = 3;
    talk("BAD1\r\nBAD2\r\n");
    EXPECT_EQ(lastAction, SmtpAction::Continue);
    EXPECT_EQ(talk("BAD3\r\nNOOP\r\n"),
              "500 5.5.2 Error: command not recognized\r\n"
              "421 4.7.0 localhost Error: too many errors\r\n");
    EXPECT_EQ(lastAction, SmtpAction::Close);
}

TEST_F(SmtpSessionTest, SubmitRefusalAndFailureArePassedOn) {
    authenticate();
    services.refuseWith = {554, "5.6.0", "No convertible attachment"};
    talk("MAIL FROM:<a@example.com>\r\nRCPT TO:<0312345678@fax.local>\r\nDATA\r\n");
    EXPECT_EQ(talk("x\r\n.\r\n"), "554 5.6.0 No convertible attachment\r\n");
    services.throwOnSubmit = true;
    talk("MAIL FROM:<a@example.com>\r\nRCPT TO:<0312345678@fax.local>\r\nDATA\r\n");
    EXPECT_EQ(talk("x\r\n.\r\n"),
              "451 4.3.0 Error: local error in processing, try again later\r\n");
    EXPECT_EQ(session().summary().messagesRefused, 2);
}

TEST_F(SmtpSessionTest, TimeoutRepliesAndCloses) {
    EXPECT_EQ(session().timeout(), "421 4.4.2 localhost Error: timeout exceeded\r\n");
    EXPECT_TRUE(session().closed());
    EXPECT_EQ(session().summary().endReason, "idle timeout");
}

TEST_F(SmtpSessionTest, HttpRequestClosesTheConnection) {
    EXPECT_EQ(talk("GET / HTTP/1.1\r\nHost: x\r\n"),
              "421 4.7.0 localhost Error: this is an SMTP server\r\n");
    EXPECT_EQ(lastAction, SmtpAction::Close);
}

// The same conversation fed whole and byte by byte must give the same replies and message.
TEST(SmtpSessionFragmentationTest, ByteByByteGivesTheSameResult) {
    const std::string conversation =
        std::string("EHLO c\r\nAUTH PLAIN ") + kPlainGood +
        "\r\nMAIL FROM:<a@example.com> SIZE=50\r\nRCPT TO:<0312345678@fax.local>\r\nDATA\r\n"
        "Subject: x\r\n\r\n..dot\r\nline\n.\r\n"
        "AUTH LOGIN\r\nRSET\r\nNOOP\r\nQUIT\r\n";
    SmtpSessionOptions options;
    FakeSmtpServices wholeServices;
    SmtpSession whole(options, wholeServices, "127.0.0.1:1", false);
    std::string wholeOutput;
    EXPECT_EQ(whole.consume(conversation, wholeOutput), SmtpAction::Close);

    FakeSmtpServices byteServices;
    SmtpSession bytes(options, byteServices, "127.0.0.1:1", false);
    std::string byteOutput;
    for (char c : conversation) bytes.consume(std::string_view(&c, 1), byteOutput);

    EXPECT_EQ(byteOutput, wholeOutput);
    EXPECT_TRUE(bytes.closed());
    ASSERT_EQ(wholeServices.submissions().size(), 1u);
    ASSERT_EQ(byteServices.submissions().size(), 1u);
    EXPECT_EQ(byteServices.submissions()[0].message, wholeServices.submissions()[0].message);
    EXPECT_EQ(wholeServices.submissions()[0].message, "Subject: x\r\n\r\n.dot\r\nline\r\n");
}

// Checks that `output` is a sequence of well-formed reply lines: 3 digits, ' ' or '-', text
// without CR or LF, CRLF; and that a '-' line is followed by a line with the same code.
void expectWellFormedReplies(const std::string& output, const std::string& input) {
    static const std::regex kReplyLine("[2-5][0-9][0-9][ -][^\r\n]*");
    size_t position = 0;
    std::string continuedCode;
    while (position < output.size()) {
        const size_t end = output.find("\r\n", position);
        ASSERT_NE(end, std::string::npos)
            << "unterminated reply for input of " << input.size() << " bytes";
        const std::string line = output.substr(position, end - position);
        ASSERT_TRUE(std::regex_match(line, kReplyLine)) << "bad reply line: " << line;
        if (!continuedCode.empty()) {
            ASSERT_EQ(line.substr(0, 3), continuedCode) << line;
        }
        continuedCode = line[3] == '-' ? line.substr(0, 3) : "";
        position = end + 2;
    }
    ASSERT_TRUE(continuedCode.empty()) << "multi-line reply without its last line";
}

TEST(SmtpSessionFuzzTest, RandomInputAlwaysGivesWellFormedReplies) {
    // Fragments that reach deep states, mixed with random bytes.
    const std::vector<std::string> tokens = {
        "EHLO c\r\n",
        "HELO c\r\n",
        std::string("AUTH PLAIN ") + kPlainGood + "\r\n",
        "AUTH PLAIN\r\n",
        "AUTH LOGIN\r\n",
        std::string(kAlice) + "\r\n",
        std::string(kSecret) + "\r\n",
        "*\r\n",
        "MAIL FROM:<a@example.com>\r\n",
        "MAIL FROM:<> SIZE=",
        "RCPT TO:<0312345678@fax.local>\r\n",
        "RCPT TO:<",
        "@fax.local>",
        "DATA\r\n",
        ".\r\n",
        "..\r\n",
        "\r\n",
        "\n",
        "\r",
        "RSET\r\n",
        "NOOP\r\n",
        "STARTTLS\r\n",
        "VRFY x\r\n",
        "HELP\r\n",
        "QUIT\r\n",
        "=\r\n",
        "AAAA",
        std::string(300, 'x'),
    };
    std::mt19937 random(20240601);
    SmtpSessionOptions options;
    options.tlsAvailable = true;
    options.trustedUser = "scanner";
    options.limits.maxMessageBytes = 2048;
    options.limits.maxCommandLineBytes = 600;
    options.limits.maxRecipients = 3;
    for (int round = 0; round < 10000; ++round) {
        std::string input;
        const int pieces = 1 + static_cast<int>(random() % 24);
        for (int i = 0; i < pieces; ++i) {
            if (random() % 2 == 0) {
                input += tokens[random() % tokens.size()];
            } else {
                const size_t length = random() % 64;
                for (size_t j = 0; j < length; ++j) input.push_back(static_cast<char>(random()));
            }
        }
        FakeSmtpServices services;
        SmtpSession session(options, services, "127.0.0.1:1", random() % 2 == 0);
        std::string output;
        size_t position = 0;
        while (position < input.size()) {
            const size_t chunk = 1 + random() % 97;
            const SmtpAction action =
                session.consume(std::string_view(input).substr(position, chunk), output);
            if (action == SmtpAction::StartTls) session.tlsStarted();
            position += chunk;
        }
        output += session.timeout();
        expectWellFormedReplies(output, input);
        if (::testing::Test::HasFatalFailure()) {
            ADD_FAILURE() << "round " << round;
            return;
        }
    }
}

TEST(FormatSmtpReplyTest, SanitisesAndSplitsLines) {
    EXPECT_EQ(formatSmtpReply(250, "2.0.0",
                              "a\r\nb\x01"
                              "c"),
              "250-2.0.0 a\r\n250 2.0.0 b?c\r\n");
    EXPECT_EQ(formatSmtpReply(99, "", "x"), "451 4.3.0 Local error in processing\r\n");
    EXPECT_EQ(formatSmtpReply(550, "2.0.0", "mismatch"), "550 mismatch\r\n");
    EXPECT_EQ(formatSmtpReply(550, "5.1.1", std::string(1000, 'z')).size(),
              std::string("550 5.1.1 ").size() + 400 + 2);
}

}  // namespace
}  // namespace faxgate::gateway
