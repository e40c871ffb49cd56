// ImapServer over real loopback sockets on an ephemeral port with a temporary SQLite store,
// with a raw socket client, Python's imaplib and curl's IMAP client.
#include "gateway/imap/imap_server.h"

#include <Poco/Base64Encoder.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/gateway/imap/imap_test_support.h"

namespace faxgate::gateway {
namespace {

using ::testing::HasSubstr;

class Client {
  public:
    explicit Client(uint16_t port) : socket_(Poco::Net::SocketAddress("127.0.0.1", port)) {
        socket_.setReceiveTimeout(Poco::Timespan(10, 0));
    }
    // Reads until a complete line starting with `until` (a tag, "* OK", ...) arrived.
    std::string readUntil(const std::string& until) {
        std::string data;
        char buffer[4096];
        while (true) {
            size_t lineStart = 0;
            while (lineStart < data.size()) {
                const size_t lineEnd = data.find("\r\n", lineStart);
                if (lineEnd == std::string::npos) break;
                if (data.compare(lineStart, until.size(), until) == 0) return data;
                lineStart = lineEnd + 2;
            }
            const int n = socket_.receiveBytes(buffer, sizeof buffer);
            if (n <= 0) return data;
            data.append(buffer, static_cast<size_t>(n));
        }
    }
    void send(const std::string& bytes) {
        socket_.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
    }
    std::string command(const std::string& tag, const std::string& text) {
        const std::string line = tag + " " + text + "\r\n";
        socket_.sendBytes(line.data(), static_cast<int>(line.size()));
        return readUntil(tag + " ");
    }

  private:
    Poco::Net::StreamSocket socket_;
};

class ImapServerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        temp_.addUser("alice", "secret");
        temp_.addUser("bob", "hunter2");
    }
    std::unique_ptr<ImapServer> start(ImapServerOptions options = {}) {
        options.port = 0;
        auto server = std::make_unique<ImapServer>(options, temp_.store());
        server->start();
        return server;
    }
    testing::TempStore temp_;
};

TEST_F(ImapServerTest, ConversationOverSocket) {
    temp_.append("alice", "INBOX", testing::kFaxMessage);
    auto server = start();
    ASSERT_NE(server->port(), 0);
    Client client(server->port());
    EXPECT_THAT(client.readUntil("* OK"), HasSubstr("IMAP4rev1"));
    EXPECT_THAT(client.command("a", "LOGIN alice secret"), HasSubstr("a OK"));
    EXPECT_THAT(client.command("b", "SELECT INBOX"), HasSubstr("* 1 EXISTS"));
    EXPECT_THAT(client.command("c", "FETCH 1 BODYSTRUCTURE"),
                HasSubstr("BODYSTRUCTURE " + testing::kFaxBodyStructure));
    EXPECT_THAT(client.command("d", "LOGOUT"), HasSubstr("* BYE"));
    server->stop();
}

TEST_F(ImapServerTest, IdleSeesNewMessages) {
    ImapServerOptions options;
    options.idlePollMs = 50;
    auto server = start(options);
    Client client(server->port());
    client.readUntil("* OK");
    client.command("a", "LOGIN alice secret");
    EXPECT_THAT(client.command("b", "SELECT INBOX"), HasSubstr("* 0 EXISTS"));
    // IDLE: the continuation, then the new message announced by the poll.
    client.send("i IDLE\r\n");
    EXPECT_THAT(client.readUntil("+ "), HasSubstr("+ idling"));
    temp_.append("alice", "INBOX", testing::kFaxMessage);
    EXPECT_THAT(client.readUntil("* 1 EXISTS"), HasSubstr("* 1 EXISTS"));
    client.send("DONE\r\n");
    EXPECT_THAT(client.readUntil("i "), HasSubstr("i OK IDLE terminated"));
    server->stop();
}

TEST_F(ImapServerTest, PerUserConnectionLimit) {
    ImapServerOptions options;
    options.maxConnectionsPerUser = 1;
    auto server = start(options);
    Client first(server->port());
    first.readUntil("* OK");
    EXPECT_THAT(first.command("a", "LOGIN alice secret"), HasSubstr("a OK"));
    Client second(server->port());
    second.readUntil("* OK");
    EXPECT_THAT(second.command("a", "LOGIN alice secret"), HasSubstr("a NO [UNAVAILABLE]"));
    EXPECT_THAT(second.command("b", "LOGIN bob hunter2"), HasSubstr("b OK"));
}

TEST_F(ImapServerTest, LoginTimeoutSaysBye) {
    ImapServerOptions options;
    options.loginTimeoutMs = 200;
    auto server = start(options);
    Client client(server->port());
    client.readUntil("* OK");
    EXPECT_THAT(client.readUntil("* BYE"), HasSubstr("* BYE"));
}

TEST(ImapServerOptionsTest, RejectsBadOptions) {
    testing::TempStore temp;
    ImapServerOptions options;
    options.allowPlaintextLogin = false;  // without TLS files nobody could log in
    EXPECT_THROW(ImapServer(options, temp.store()), std::invalid_argument);
    options = {};
    options.listenAddress = "not-an-address";
    EXPECT_THROW(ImapServer(options, temp.store()), std::invalid_argument);
}

std::string attachmentFixture(testing::TempStore& temp, std::string& payloadPath) {
    std::string payload = "%PDF-1.4\n";
    for (int i = 0; i < 5000; ++i) payload.push_back(static_cast<char>((i * 7919) % 256));
    payloadPath = (temp.dir() / "payload.pdf").string();
    std::ofstream(payloadPath, std::ios::binary) << payload;
    std::ostringstream encoded;
    {
        Poco::Base64Encoder encoder(encoded);
        encoder.rdbuf()->setLineLength(76);
        encoder << payload;
    }
    std::string base64;
    for (char c : encoded.str()) {
        if (c == '\n')
            base64 += "\r\n";
        else if (c != '\r')
            base64 += c;
    }
    return "From: fax@gw.local\r\nTo: alice@example.com\r\nSubject: Fax received\r\n"
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
           "--b1\r\nContent-Type: text/plain\r\n\r\nOne page.\r\n"
           "--b1\r\nContent-Type: application/pdf; name=fax.pdf\r\n"
           "Content-Transfer-Encoding: base64\r\n"
           "Content-Disposition: attachment; filename=fax.pdf\r\n\r\n" +
           base64 + "\r\n--b1--\r\n";
}

TEST_F(ImapServerTest, PythonImaplibClient) {
    std::string payloadPath;
    temp_.append("alice", "INBOX", attachmentFixture(temp_, payloadPath));
    auto server = start();
    const std::string command = "/usr/bin/python3 " FAXGATE_SOURCE_DIR
                                "/tests/gateway/imap/imaplib_client.py " +
                                std::to_string(server->port()) + " alice secret " + payloadPath;
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    EXPECT_TRUE(temp_.store().listMailboxHeaders("alice", "INBOX").empty());
}

TEST_F(ImapServerTest, CurlClient) {
    if (std::system("command -v curl > /dev/null") != 0) GTEST_SKIP() << "curl not installed";
    temp_.append("alice", "INBOX", testing::kFaxMessage);
    auto server = start();
    const std::string out = (temp_.dir() / "curl.out").string();
    const std::string command = "curl -s --max-time 20 -u alice:secret 'imap://127.0.0.1:" +
                                std::to_string(server->port()) + "/INBOX;UID=1' -o " + out;
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    std::ifstream file(out, std::ios::binary);
    std::string fetched((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    EXPECT_EQ(fetched, testing::kFaxMessage);
}

}  // namespace
}  // namespace faxgate::gateway
