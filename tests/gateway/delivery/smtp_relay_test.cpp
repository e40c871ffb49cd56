// Tests of SmtpRelay against a real SMTP server on loopback: Postfix's smtp-sink, started by
// the test (and stopped by its PID), dumping each message to a file. Checks the envelope, the
// EHLO name from the URL, the content (with dot-stuffing undone by the server), 5xx =
// permanent, 4xx and refused connections = temporary.
#include "gateway/delivery/smtp_relay.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace faxgate::gateway {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

// A port nobody listens on right now (bind to 0, read it back, close).
int freeLoopbackPort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        close(fd);
        throw std::runtime_error("cannot bind a loopback port");
    }
    socklen_t length = sizeof address;
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    close(fd);
    return ntohs(address.sin_port);
}

bool canConnect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(uint16_t(port));
    bool connected = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    close(fd);
    return connected;
}

// smtp-sink on 127.0.0.1:<port>, dumping messages into a fresh directory.
class SmtpSink {
  public:
    explicit SmtpSink(std::vector<std::string> extraArguments = {}) {
        char pattern[] = "/tmp/faxgate-sink-XXXXXX";
        if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
        directory_ = pattern;
        chmod(directory_.c_str(), 0777);  // smtp-sink writes as "nobody"
        port_ = freeLoopbackPort();
        std::vector<std::string> arguments{"smtp-sink", "-u", "nobody", "-d", directory_ + "/%M."};
        arguments.insert(arguments.end(), extraArguments.begin(), extraArguments.end());
        arguments.push_back("127.0.0.1:" + std::to_string(port_));
        arguments.push_back("10");
        std::vector<char*> argv;
        for (std::string& argument : arguments) argv.push_back(argument.data());
        argv.push_back(nullptr);
        if (posix_spawnp(&pid_, "smtp-sink", nullptr, nullptr, argv.data(), environ) != 0) {
            throw std::runtime_error("cannot start smtp-sink (postfix package)");
        }
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!canConnect(port_)) {
            if (std::chrono::steady_clock::now() > deadline) {
                throw std::runtime_error("smtp-sink did not start listening");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    ~SmtpSink() {
        kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
        std::error_code ignored;
        fs::remove_all(directory_, ignored);
    }
    int port() const { return port_; }
    std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

    // The dumped messages' contents, once `count` files are complete (smtp-sink may still be
    // writing when the client already has its reply).
    std::vector<std::string> waitForMessages(size_t count, const std::string& lastLine) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        for (;;) {
            std::vector<std::string> messages;
            for (const auto& entry : fs::directory_iterator(directory_)) {
                std::ifstream in(entry.path(), std::ios::binary);
                std::ostringstream text;
                text << in.rdbuf();
                messages.push_back(text.str());
            }
            bool complete = messages.size() >= count;
            for (const std::string& message : messages) {
                if (message.find(lastLine) == std::string::npos) complete = false;
            }
            if (complete || std::chrono::steady_clock::now() > deadline) return messages;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

  private:
    std::string directory_;
    int port_ = 0;
    pid_t pid_ = 0;
};

OutboxMail testMail() {
    OutboxMail mail;
    mail.id = 1;
    mail.from = "faxgate@fax.local";
    mail.to = {"alice@example.com", "bob@example.org"};
    mail.data =
        "From: Fax gateway <faxgate@fax.local>\r\n"
        "To: alice@example.com\r\n"
        "Subject: Fax to 0312345678: sent (3 pages)\r\n"
        "\r\n"
        "First line.\r\n"
        ".a line that starts with a dot\r\n"
        "Last line of the report.\r\n";
    return mail;
}

RelayOptions optionsFor(const std::string& url) {
    RelayOptions options;
    options.url = url;
    options.timeoutMs = 10000;
    return options;
}

TEST(SmtpRelay, DeliversEnvelopeAndContent) {
    SmtpSink sink;
    SmtpRelay relay(optionsFor(sink.url() + "/gw.example.com"));
    SendOutcome outcome = relay.send(testMail());
    ASSERT_TRUE(outcome.ok) << outcome.error;

    std::vector<std::string> messages = sink.waitForMessages(1, "Last line of the report.");
    ASSERT_EQ(messages.size(), 1u);
    const std::string& dump = messages[0];
    EXPECT_THAT(dump, HasSubstr("X-Helo-Args: gw.example.com"));
    EXPECT_THAT(dump, HasSubstr("X-Mail-Args: <faxgate@fax.local>"));
    EXPECT_THAT(dump, HasSubstr("X-Rcpt-Args: <alice@example.com>"));
    EXPECT_THAT(dump, HasSubstr("X-Rcpt-Args: <bob@example.org>"));
    EXPECT_THAT(dump, HasSubstr("Subject: Fax to 0312345678: sent (3 pages)"));
    // Dot-stuffed on the wire by libcurl, unstuffed by the server: the line arrives intact.
    EXPECT_THAT(dump, HasSubstr("\n.a line that starts with a dot"));
    EXPECT_THAT(dump, HasSubstr("Last line of the report."));
}

TEST(SmtpRelay, DefaultHeloNameIsUsedWithoutUrlPath) {
    SmtpSink sink;
    RelayOptions options = optionsFor(sink.url());
    options.heloName = "faxgate.example.net";
    SmtpRelay relay(options);
    ASSERT_TRUE(relay.send(testMail()).ok);
    std::vector<std::string> messages = sink.waitForMessages(1, "Last line of the report.");
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_THAT(messages[0], HasSubstr("X-Helo-Args: faxgate.example.net"));
}

TEST(SmtpRelay, HardRejectionIsPermanent) {
    SmtpSink sink({"-f", "RCPT"});
    SmtpRelay relay(optionsFor(sink.url()));
    SendOutcome outcome = relay.send(testMail());
    EXPECT_FALSE(outcome.ok);
    EXPECT_TRUE(outcome.permanent) << outcome.error;
    EXPECT_THAT(outcome.error, HasSubstr("relay smtp://127.0.0.1:"));
    EXPECT_THAT(outcome.error, HasSubstr("5"));
}

TEST(SmtpRelay, SoftRejectionIsTemporary) {
    SmtpSink sink({"-r", "MAIL"});
    SmtpRelay relay(optionsFor(sink.url()));
    SendOutcome outcome = relay.send(testMail());
    EXPECT_FALSE(outcome.ok);
    EXPECT_FALSE(outcome.permanent) << outcome.error;
    EXPECT_THAT(outcome.error, HasSubstr("4"));
}

TEST(SmtpRelay, ClosedPortIsTemporary) {
    int port = freeLoopbackPort();
    SmtpRelay relay(optionsFor("smtp://127.0.0.1:" + std::to_string(port)));
    SendOutcome outcome = relay.send(testMail());
    EXPECT_FALSE(outcome.ok);
    EXPECT_FALSE(outcome.permanent);
    EXPECT_THAT(outcome.error, HasSubstr("relay smtp://127.0.0.1:" + std::to_string(port)));
}

TEST(SmtpRelay, RequiredTlsWithoutStartTlsIsTemporaryAndSendsNothing) {
    SmtpSink sink;  // smtp-sink offers no STARTTLS
    RelayOptions options = optionsFor(sink.url());
    options.requireTls = true;
    SmtpRelay relay(options);
    SendOutcome outcome = relay.send(testMail());
    EXPECT_FALSE(outcome.ok);
    EXPECT_FALSE(outcome.permanent) << outcome.error;
}

TEST(SmtpRelay, UnusableMailIsRefusedBeforeConnecting) {
    SmtpRelay relay(optionsFor("smtp://127.0.0.1:1"));
    OutboxMail mail = testMail();
    mail.to = {"alice@example.com\r\nRCPT TO:<evil@example.com>"};
    SendOutcome outcome = relay.send(mail);
    EXPECT_FALSE(outcome.ok);
    EXPECT_TRUE(outcome.permanent);
    EXPECT_THAT(outcome.error, HasSubstr("not a plain mail address"));

    mail = testMail();
    mail.to.clear();
    EXPECT_TRUE(relay.send(mail).permanent);

    RelayOptions small = optionsFor("smtp://127.0.0.1:1");
    small.maxMessageBytes = 10;
    EXPECT_TRUE(SmtpRelay(small).send(testMail()).permanent);
}

TEST(SmtpRelay, OptionsAreValidated) {
    EXPECT_THROW(SmtpRelay(optionsFor("")), std::invalid_argument);
    EXPECT_THROW(SmtpRelay(optionsFor("http://relay:25")), std::invalid_argument);
    EXPECT_THROW(SmtpRelay(optionsFor("smtp://user:secret@relay:25")), std::invalid_argument);
    EXPECT_THROW(SmtpRelay(optionsFor("smtp://relay:25/bad name")), std::invalid_argument);
    RelayOptions options = optionsFor("smtp://relay:25");
    options.user = "gateway";
    EXPECT_THROW(SmtpRelay{options}, std::invalid_argument);  // password missing
    EXPECT_NO_THROW(SmtpRelay(optionsFor("smtps://relay.example.com:465")));
}

}  // namespace
}  // namespace faxgate::gateway
