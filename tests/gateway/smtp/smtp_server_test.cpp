// Tests for SmtpServer over real loopback sockets: a full submission, STARTTLS with a
// certificate made at test time, the connection limit, the idle timeout, stop(), swaks.
#include "gateway/smtp/smtp_server.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "Poco/AutoPtr.h"
#include "Poco/Channel.h"
#include "Poco/Logger.h"
#include "Poco/Message.h"
#include "Poco/Net/Context.h"
#include "Poco/Net/IPAddress.h"
#include "Poco/Net/SecureStreamSocket.h"
#include "Poco/Net/SocketAddress.h"
#include "Poco/Net/StreamSocket.h"
#include "Poco/Timespan.h"
#include "gateway/smtp/network_list.h"
#include "tests/gateway/smtp/fake_smtp_services.h"

namespace faxgate::gateway {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPlainGood = "AGFsaWNlAHNlY3JldA==";  // "\0alice\0secret"

// A line-oriented SMTP client over a Poco socket (plain, or TLS after startTls()).
class TestClient {
  public:
    explicit TestClient(uint16_t port) : plain_(Poco::Net::SocketAddress("127.0.0.1", port)) {
        plain_.setReceiveTimeout(Poco::Timespan(30, 0));  // a hung test fails instead of hanging
    }

    // Reads one complete (possibly multi-line) reply.
    std::string readReply() {
        std::string reply;
        for (;;) {
            const size_t end = buffer_.find("\r\n");
            if (end != std::string::npos) {
                const std::string line = buffer_.substr(0, end + 2);
                buffer_.erase(0, end + 2);
                reply += line;
                if (line.size() < 4 || line[3] != '-') return reply;
                continue;
            }
            char chunk[4096];
            const int n = socket().receiveBytes(chunk, sizeof chunk);
            if (n <= 0) return reply + buffer_ + "<closed>";
            buffer_.append(chunk, static_cast<size_t>(n));
        }
    }

    void send(const std::string& data) {
        size_t sent = 0;
        while (sent < data.size())
            sent += static_cast<size_t>(
                socket().sendBytes(data.data() + sent, static_cast<int>(data.size() - sent)));
    }

    std::string command(const std::string& line) {
        send(line + "\r\n");
        return readReply();
    }

    void startTls() {
        Poco::Net::Context::Ptr context = new Poco::Net::Context(
            Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_NONE);
        secure_.emplace(Poco::Net::SecureStreamSocket::attach(plain_, context));
        secure_->completeHandshake();
    }

  private:
    Poco::Net::StreamSocket& socket() {
        return secure_ ? static_cast<Poco::Net::StreamSocket&>(*secure_) : plain_;
    }

    Poco::Net::StreamSocket plain_;
    std::optional<Poco::Net::SecureStreamSocket> secure_;
    std::string buffer_;
};

class SmtpServerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        options.port = 0;
        options.hostname = "gw.test";
    }
    void startServer() {
        server.emplace(options, services);
        server->start();
        ASSERT_NE(server->port(), 0);
    }
    // Makes a self-signed certificate in a temporary directory.
    void makeCertificate() {
        directory = fs::temp_directory_path() /
                    ("faxgate-smtp-test-" + std::to_string(::getpid()) + "-" +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(directory);
        options.tlsCertificateFile = (directory / "cert.pem").string();
        options.tlsPrivateKeyFile = (directory / "key.pem").string();
        const std::string command =
            "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -keyout '" +
            options.tlsPrivateKeyFile + "' -out '" + options.tlsCertificateFile +
            "' >/dev/null 2>&1";
        ASSERT_EQ(std::system(command.c_str()), 0) << command;
    }
    void TearDown() override {
        if (server) server->stop();
        if (!directory.empty()) fs::remove_all(directory);
    }

    SmtpServerOptions options;
    FakeSmtpServices services;
    std::optional<SmtpServer> server;
    fs::path directory;
};

TEST_F(SmtpServerTest, FullSubmissionOverASocket) {
    startServer();
    TestClient client(server->port());
    EXPECT_EQ(client.readReply(), "220 gw.test ESMTP faxgate\r\n");
    const std::string ehlo = client.command("EHLO client.test");
    EXPECT_NE(ehlo.find("250-PIPELINING"), std::string::npos);
    EXPECT_EQ(ehlo.find("STARTTLS"), std::string::npos);
    EXPECT_EQ(client.command(std::string("AUTH PLAIN ") + kPlainGood),
              "235 2.7.0 Authentication successful\r\n");
    // Pipelined MAIL, RCPT, DATA in one write.
    client.send("MAIL FROM:<bob@example.com>\r\nRCPT TO:<03-1234-5678@fax.local>\r\nDATA\r\n");
    EXPECT_EQ(client.readReply(), "250 2.1.0 Ok\r\n");
    EXPECT_EQ(client.readReply(), "250 2.1.5 Ok\r\n");
    EXPECT_EQ(client.readReply(), "354 End data with <CR><LF>.<CR><LF>\r\n");
    client.send("Subject: hello\r\n\r\n..dot\r\n.\r\n");
    EXPECT_EQ(client.readReply(), "250 2.0.0 Ok: queued as job 1\r\n");
    EXPECT_EQ(client.command("QUIT"), "221 2.0.0 Bye\r\n");
    EXPECT_EQ(client.readReply(), "<closed>");

    const auto submissions = services.submissions();
    ASSERT_EQ(submissions.size(), 1u);
    EXPECT_EQ(submissions[0].message, "Subject: hello\r\n\r\n.dot\r\n");
    EXPECT_EQ(submissions[0].envelope.user, "alice");
    EXPECT_EQ(submissions[0].envelope.mailFrom, "bob@example.com");
    ASSERT_EQ(submissions[0].envelope.recipients.size(), 1u);
    EXPECT_EQ(submissions[0].envelope.recipients[0].number, "0312345678");
    EXPECT_EQ(submissions[0].envelope.clientAddress.rfind("127.0.0.1:", 0), 0u);
    EXPECT_FALSE(submissions[0].envelope.tls);
}

TEST_F(SmtpServerTest, TrustedNetworkSubmitsWithoutAuth) {
    options.trustedNetworks = {"127.0.0.0/8"};
    options.trustedUser = "scanner";
    startServer();
    TestClient client(server->port());
    client.readReply();
    client.command("HELO scanner");
    EXPECT_EQ(client.command("MAIL FROM:<scan@example.com>"), "250 2.1.0 Ok\r\n");
    EXPECT_EQ(client.command("RCPT TO:<123@fax.local>"), "250 2.1.5 Ok\r\n");
    client.command("DATA");
    EXPECT_EQ(client.command("x\r\n."), "250 2.0.0 Ok: queued as job 1\r\n");
    ASSERT_EQ(services.submissions().size(), 1u);
    EXPECT_EQ(services.submissions()[0].envelope.user, "scanner");
}

TEST_F(SmtpServerTest, StartTlsWithSelfSignedCertificate) {
    makeCertificate();
    startServer();
    TestClient client(server->port());
    client.readReply();
    EXPECT_NE(client.command("EHLO client.test").find("250-STARTTLS\r\n"), std::string::npos);
    EXPECT_EQ(client.command("STARTTLS"), "220 2.0.0 Ready to start TLS\r\n");
    client.startTls();
    const std::string ehlo = client.command("EHLO client.test");
    EXPECT_EQ(ehlo.find("STARTTLS"), std::string::npos);
    EXPECT_NE(ehlo.find("AUTH PLAIN LOGIN"), std::string::npos);
    EXPECT_EQ(client.command("AUTH LOGIN"), "334 VXNlcm5hbWU6\r\n");
    EXPECT_EQ(client.command("YWxpY2U="), "334 UGFzc3dvcmQ6\r\n");
    EXPECT_EQ(client.command("c2VjcmV0"), "235 2.7.0 Authentication successful\r\n");
    EXPECT_EQ(client.command("MAIL FROM:<bob@example.com>"), "250 2.1.0 Ok\r\n");
    EXPECT_EQ(client.command("RCPT TO:<FAX=+81312345678@fax.local>"), "250 2.1.5 Ok\r\n");
    client.command("DATA");
    EXPECT_EQ(client.command("Subject: tls\r\n\r\nbody\r\n."), "250 2.0.0 Ok: queued as job 1\r\n");
    EXPECT_EQ(client.command("QUIT"), "221 2.0.0 Bye\r\n");
    ASSERT_EQ(services.submissions().size(), 1u);
    EXPECT_TRUE(services.submissions()[0].envelope.tls);
    EXPECT_EQ(services.submissions()[0].envelope.recipients[0].number, "+81312345678");
}

TEST_F(SmtpServerTest, RequireTlsForAuthRefusesPlaintextAuth) {
    makeCertificate();
    options.requireTlsForAuth = true;
    startServer();
    TestClient client(server->port());
    client.readReply();
    EXPECT_EQ(client.command("EHLO c").find("AUTH"), std::string::npos);
    EXPECT_EQ(client.command(std::string("AUTH PLAIN ") + kPlainGood),
              "530 5.7.0 Must issue a STARTTLS command first\r\n");
}

TEST_F(SmtpServerTest, ConnectionsOverTheLimitGet421) {
    options.limits.maxConnections = 1;
    startServer();
    TestClient first(server->port());
    EXPECT_EQ(first.readReply(), "220 gw.test ESMTP faxgate\r\n");
    TestClient second(server->port());
    EXPECT_EQ(second.readReply(), "421 4.3.2 gw.test Too many connections, try again later\r\n");
    EXPECT_EQ(second.readReply(), "<closed>");
    EXPECT_EQ(first.command("NOOP"), "250 2.0.0 Ok\r\n");
}

TEST_F(SmtpServerTest, IdleClientGetsTimeout) {
    options.limits.idleTimeoutMs = 200;
    startServer();
    TestClient client(server->port());
    client.readReply();
    EXPECT_EQ(client.readReply(), "421 4.4.2 gw.test Error: timeout exceeded\r\n");
    EXPECT_EQ(client.readReply(), "<closed>");
}

TEST_F(SmtpServerTest, StopEndsOpenSessions) {
    startServer();
    TestClient client(server->port());
    client.readReply();
    EXPECT_EQ(client.command("EHLO c").substr(0, 4), "250-");
    server->stop();
    EXPECT_EQ(client.readReply(), "421 4.3.2 gw.test Service shutting down\r\n");
    EXPECT_EQ(server->port(), 0);
}

TEST_F(SmtpServerTest, RejectsBadOptionsNamingThem) {
    auto messageFor = [&](const SmtpServerOptions& bad) {
        try {
            SmtpServer s(bad, services);
        } catch (const std::exception& error) {
            return std::string(error.what());
        }
        return std::string("accepted");
    };
    SmtpServerOptions bad = options;
    bad.requireTlsForAuth = true;
    EXPECT_NE(messageFor(bad).find("requireTlsForAuth"), std::string::npos);
    bad = options;
    bad.trustedNetworks = {"10.0.0.0/33"};
    bad.trustedUser = "scanner";
    EXPECT_NE(messageFor(bad).find("trustedNetworks"), std::string::npos);
    bad.trustedNetworks = {"10.0.0.0/8"};
    bad.trustedUser = "";
    EXPECT_NE(messageFor(bad).find("trustedUser"), std::string::npos);
    bad = options;
    bad.limits.maxDataLineBytes = 80;
    EXPECT_NE(messageFor(bad).find("maxDataLineBytes"), std::string::npos);
    bad = options;
    bad.tlsCertificateFile = "/nonexistent/cert.pem";
    bad.tlsPrivateKeyFile = "/nonexistent/key.pem";
    EXPECT_NE(messageFor(bad).find("cannot load TLS certificate"), std::string::npos);
    bad = options;
    bad.listenAddress = "localhost";
    EXPECT_NE(messageFor(bad).find("listenAddress"), std::string::npos);
}

// Keeps the messages logged to it.
class CapturingChannel : public Poco::Channel {
  public:
    void log(const Poco::Message& message) override {
        std::lock_guard<std::mutex> lock(mutex_);
        lines_.push_back(message.getText());
    }
    std::vector<std::string> lines() {
        std::lock_guard<std::mutex> lock(mutex_);
        return lines_;
    }

  private:
    std::mutex mutex_;
    std::vector<std::string> lines_;
};

TEST_F(SmtpServerTest, LogsOneLinePerSessionWithoutSecrets) {
    Poco::AutoPtr<CapturingChannel> channel(new CapturingChannel);
    Poco::Logger& logger = Poco::Logger::get("smtp");
    Poco::AutoPtr<Poco::Channel> previous(logger.getChannel(), true);
    logger.setChannel(channel);
    logger.setLevel(Poco::Message::PRIO_INFORMATION);
    startServer();
    {
        TestClient client(server->port());
        client.readReply();
        client.command("EHLO c");
        client.command("AUTH PLAIN AGFsaWNlAHdyb25nLXBhc3N3b3Jk");  // alice / wrong-password
        client.command(std::string("AUTH PLAIN ") + kPlainGood);
        client.command("QUIT");
        client.readReply();
    }
    server->stop();
    logger.setChannel(previous);
    std::vector<std::string> sessions;
    for (const std::string& line : channel->lines())
        if (line.rfind("session ", 0) == 0) sessions.push_back(line);
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_NE(sessions[0].find("client=127.0.0.1:"), std::string::npos) << sessions[0];
    EXPECT_NE(sessions[0].find("user=alice"), std::string::npos) << sessions[0];
    EXPECT_NE(sessions[0].find("authFailures=1"), std::string::npos) << sessions[0];
    EXPECT_NE(sessions[0].find("end=\"quit\""), std::string::npos) << sessions[0];
    for (const std::string& line : channel->lines()) {
        EXPECT_EQ(line.find("secret"), std::string::npos) << line;
        EXPECT_EQ(line.find("wrong-password"), std::string::npos) << line;
    }
}

TEST(NetworkListTest, MatchesCidrs) {
    const NetworkList list = NetworkList::parse({"10.0.0.0/8", "192.0.2.7", "2001:db8::/32"});
    using Poco::Net::IPAddress;
    EXPECT_TRUE(list.contains(IPAddress("10.200.1.2")));
    EXPECT_FALSE(list.contains(IPAddress("11.0.0.1")));
    EXPECT_TRUE(list.contains(IPAddress("192.0.2.7")));
    EXPECT_FALSE(list.contains(IPAddress("192.0.2.8")));
    EXPECT_TRUE(list.contains(IPAddress("2001:db8:1::5")));
    EXPECT_FALSE(list.contains(IPAddress("2001:db9::5")));
    EXPECT_TRUE(list.contains(IPAddress("::ffff:10.1.1.1")));  // IPv4-mapped
    EXPECT_THROW(NetworkList::parse({"10.0.0.0/"}), std::invalid_argument);
    EXPECT_THROW(NetworkList::parse({"example.com"}), std::invalid_argument);
    EXPECT_THROW(NetworkList::parse({"::1/129"}), std::invalid_argument);
}

// swaks is a real, independent SMTP client: AUTH PLAIN over STARTTLS with an attachment.
TEST_F(SmtpServerTest, SwaksSubmitsOverStartTls) {
    if (std::system("command -v swaks >/dev/null 2>&1") != 0) GTEST_SKIP() << "swaks not installed";
    makeCertificate();
    startServer();
    const fs::path attachment = directory / "doc.txt";
    std::ofstream(attachment) << "fax me\n";
    const fs::path log = directory / "swaks.log";
    const std::string command = "swaks --server 127.0.0.1:" + std::to_string(server->port()) +
                                " --tls --auth PLAIN --au alice --ap secret"
                                " --from bob@example.com --to 0312345678@fax.local"
                                " --attach @" +
                                attachment.string() + " >" + log.string() + " 2>&1";
    const int status = std::system(command.c_str());
    std::ifstream logFile(log);
    std::stringstream logText;
    logText << logFile.rdbuf();
    ASSERT_EQ(status, 0) << logText.str();
    const auto submissions = services.submissions();
    ASSERT_EQ(submissions.size(), 1u);
    EXPECT_TRUE(submissions[0].envelope.tls);
    EXPECT_EQ(submissions[0].envelope.user, "alice");
    EXPECT_NE(submissions[0].message.find("ZmF4IG1lCg=="), std::string::npos);  // "fax me\n"
}

}  // namespace
}  // namespace faxgate::gateway
