// Tests of ImapAppend against a scripted IMAP server on 127.0.0.1 in this process: enough of
// RFC 3501 for libcurl's APPEND (greeting, CAPABILITY, LOGIN, APPEND with a literal, SELECT,
// UID SEARCH, UID STORE, LOGOUT). Checks what was appended where, under which login, that the
// \Seen flag libcurl sets is cleared (by APPENDUID, or by a Message-ID search without
// UIDPLUS), and which refusals are permanent and which temporary.
#include "gateway/delivery/imap_append.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

namespace faxgate::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// What the scripted server does; the defaults are a well-behaved UIDPLUS server.
struct ServerScript {
    bool uidplus = true;           // advertise UIDPLUS and answer APPEND with APPENDUID
    bool offerStarttls = false;    // advertise STARTTLS (it is never actually done)
    std::string loginReply = "";   // "" = accept the expected login; else the tagged reply text
    std::string appendReply = "";  // "" = accept; else the tagged reply text ("NO [...] ...")
    std::string login = "bob@example.org*faxgate";
    std::string password = "master-secret";
};

struct StoredMessage {
    std::string folder;
    std::string data;
    std::set<std::string> flags;
    unsigned long uid = 0;
};

// A one-connection-at-a-time IMAP server on a free loopback port. Invariant: `messages_`,
// `commands_` and `logins_` are only touched under `mutex_`. Threading: one server thread,
// started by the constructor and joined by the destructor; accessors may be called from the
// test thread at any time.
class ScriptedImapServer {
  public:
    explicit ScriptedImapServer(ServerScript script) : script_(std::move(script)) {
        listener_ = socket(AF_INET, SOCK_STREAM, 0);
        int yes = 1;
        setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            listen(listener_, 4) != 0) {
            throw std::runtime_error("scripted IMAP server: cannot listen on loopback");
        }
        socklen_t length = sizeof address;
        getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~ScriptedImapServer() {
        stopping_ = true;
        thread_.join();
        close(listener_);
    }

    std::string url(const std::string& folder = "Faxes") const {
        return "imap://127.0.0.1:" + std::to_string(port_) + (folder.empty() ? "" : "/" + folder);
    }
    std::vector<StoredMessage> messages() {
        std::lock_guard<std::mutex> lock(mutex_);
        return messages_;
    }
    std::vector<std::string> commands() {
        std::lock_guard<std::mutex> lock(mutex_);
        return commands_;
    }

  private:
    void run() {
        // Bounded: the test's client is finished long before this (every test ends by
        // destroying the server, which sets stopping_).
        while (!stopping_) {
            pollfd waiting{listener_, POLLIN, 0};
            if (poll(&waiting, 1, 50) <= 0) continue;
            int client = accept(listener_, nullptr, nullptr);
            if (client < 0) continue;
            timeval timeout{10, 0};
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
            serve(client);
            close(client);
        }
    }

    bool readLine(int client, std::string& buffer, std::string& line) {
        for (int reads = 0; reads < 100000; ++reads) {
            size_t end = buffer.find("\r\n");
            if (end != std::string::npos) {
                line = buffer.substr(0, end);
                buffer.erase(0, end + 2);
                return true;
            }
            char chunk[4096];
            ssize_t got = recv(client, chunk, sizeof chunk, 0);
            if (got <= 0) return false;
            buffer.append(chunk, static_cast<size_t>(got));
        }
        return false;
    }
    bool readBytes(int client, std::string& buffer, size_t count, std::string& bytes) {
        while (buffer.size() < count) {
            char chunk[4096];
            ssize_t got = recv(client, chunk, sizeof chunk, 0);
            if (got <= 0) return false;
            buffer.append(chunk, static_cast<size_t>(got));
        }
        bytes = buffer.substr(0, count);
        buffer.erase(0, count);
        return true;
    }
    static void write(int client, const std::string& text) {
        (void)::send(client, text.data(), text.size(), MSG_NOSIGNAL);
    }

    // Atoms, quoted strings (with \" and \\) and parenthesised lists, as words.
    static std::vector<std::string> words(const std::string& line) {
        std::vector<std::string> result;
        size_t at = 0;
        while (at < line.size()) {
            if (line[at] == ' ') {
                ++at;
                continue;
            }
            std::string word;
            if (line[at] == '"') {
                for (++at; at < line.size() && line[at] != '"'; ++at) {
                    if (line[at] == '\\' && at + 1 < line.size()) ++at;
                    word += line[at];
                }
                ++at;
            } else if (line[at] == '(') {
                size_t close = line.find(')', at);
                word = line.substr(at, close - at + 1);
                at = close + 1;
            } else {
                size_t end = line.find(' ', at);
                if (end == std::string::npos) end = line.size();
                word = line.substr(at, end - at);
                at = end;
            }
            result.push_back(word);
        }
        return result;
    }

    void serve(int client) {
        std::string capabilities = "IMAP4rev1 LITERAL+";
        if (script_.uidplus) capabilities += " UIDPLUS";
        if (script_.offerStarttls) capabilities += " STARTTLS";
        write(client, "* OK [CAPABILITY " + capabilities + "] scripted server ready\r\n");
        std::string buffer, line, selected;
        bool loggedIn = false;
        for (int commands = 0; commands < 100 && readLine(client, buffer, line); ++commands) {
            std::vector<std::string> w = words(line);
            if (w.size() < 2) {
                write(client, "* BAD no command\r\n");
                continue;
            }
            const std::string& tag = w[0];
            std::string command = w[1];
            for (char& c : command) c = static_cast<char>(std::toupper(uint8_t(c)));
            {
                std::lock_guard<std::mutex> lock(mutex_);
                commands_.push_back(command == "LOGIN" ? "LOGIN " + (w.size() > 2 ? w[2] : "")
                                                       : line.substr(tag.size() + 1));
            }
            if (command == "CAPABILITY") {
                write(client, "* CAPABILITY " + capabilities + "\r\n" + tag + " OK done\r\n");
            } else if (command == "LOGIN" && w.size() == 4) {
                if (!script_.loginReply.empty()) {
                    write(client, tag + " " + script_.loginReply + "\r\n");
                } else if (w[2] == script_.login && w[3] == script_.password) {
                    loggedIn = true;
                    write(client, tag + " OK logged in\r\n");
                } else {
                    write(client, tag + " NO [AUTHENTICATIONFAILED] wrong login\r\n");
                }
            } else if (command == "APPEND" && loggedIn && w.size() >= 4) {
                const std::string& literal = w.back();
                size_t size = std::stoul(literal.substr(1, literal.size() - 2));
                bool nonSynchronising = literal.find('+') != std::string::npos;
                if (!nonSynchronising) write(client, "+ go ahead\r\n");
                std::string data, rest;
                if (!readBytes(client, buffer, size, data) || !readLine(client, buffer, rest)) {
                    return;
                }
                if (!script_.appendReply.empty()) {
                    write(client, tag + " " + script_.appendReply + "\r\n");
                    continue;
                }
                StoredMessage message;
                message.folder = w[2];
                message.data = data;
                if (w.size() == 5 && w[3].find("\\Seen") != std::string::npos) {
                    message.flags.insert("\\Seen");
                }
                std::lock_guard<std::mutex> lock(mutex_);
                message.uid = 40 + messages_.size();
                messages_.push_back(message);
                write(client,
                      tag + " OK " +
                          (script_.uidplus ? "[APPENDUID 77 " + std::to_string(message.uid) + "] "
                                           : std::string()) +
                          "appended\r\n");
            } else if ((command == "SELECT" || command == "EXAMINE") && loggedIn) {
                selected = w[2];
                write(client, "* FLAGS (\\Seen)\r\n* OK [UIDVALIDITY 77] ok\r\n" + tag +
                                  " OK [READ-WRITE] selected\r\n");
            } else if (command == "UID" && w.size() >= 3 && !selected.empty()) {
                uid(client, tag, w, selected);
            } else if (command == "LOGOUT") {
                write(client, "* BYE bye\r\n" + tag + " OK done\r\n");
                return;
            } else if (command == "NOOP") {
                write(client, tag + " OK done\r\n");
            } else {
                write(client, tag + " BAD unexpected command\r\n");
            }
        }
    }

    // UID SEARCH HEADER Message-ID "<id>" and UID STORE <uid> -FLAGS (\Seen).
    void uid(int client, const std::string& tag, const std::vector<std::string>& w,
             const std::string& selected) {
        std::string sub = w[2];
        for (char& c : sub) c = static_cast<char>(std::toupper(uint8_t(c)));
        std::lock_guard<std::mutex> lock(mutex_);
        if (sub == "SEARCH" && w.size() == 6) {
            std::string found;
            for (const StoredMessage& m : messages_) {
                if (m.folder == selected &&
                    m.data.find("Message-ID: " + w[5] + "\r\n") != std::string::npos) {
                    found += " " + std::to_string(m.uid);
                }
            }
            write(client, "* SEARCH" + found + "\r\n" + tag + " OK searched\r\n");
        } else if (sub == "STORE" && w.size() == 6 && w[4] == "-FLAGS") {
            for (size_t i = 0; i < messages_.size(); ++i) {
                StoredMessage& m = messages_[i];
                if (m.folder != selected || std::to_string(m.uid) != w[3]) continue;
                if (w[5].find("\\Seen") != std::string::npos) m.flags.erase("\\Seen");
                write(client, "* " + std::to_string(i + 1) + " FETCH (UID " +
                                  std::to_string(m.uid) + " FLAGS ())\r\n");
            }
            write(client, tag + " OK stored\r\n");
        } else {
            write(client, tag + " BAD unexpected UID command\r\n");
        }
    }

    ServerScript script_;
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
    std::mutex mutex_;
    std::vector<StoredMessage> messages_;
    std::vector<std::string> commands_;
};

const std::string kMessage =
    "From: Fax gateway <faxgate@fax.local>\r\n"
    "To: bob@example.org\r\n"
    "Subject: Fax from 0398765432, 3 pages\r\n"
    "Message-ID: <faxgate.fax-in.1234@faxgate.test>\r\n"
    "\r\n"
    "A fax.\r\n"
    ".\r\n"
    "Still the fax.\r\n";

OutboxMail faxCopy(const std::string& to = "bob@example.org", const std::string& user = "bob") {
    OutboxMail mail;
    mail.id = 7;
    mail.transport = "imap_append";
    mail.from = user;
    mail.to = {to};
    mail.data = kMessage;
    return mail;
}

ImapAppendOptions optionsFor(const ScriptedImapServer& server,
                             const std::string& folder = "Faxes") {
    ImapAppendOptions options;
    options.url = server.url(folder);
    options.loginTemplate = "{email}*faxgate";
    options.password = "master-secret";
    options.requireTls = false;
    options.timeoutMs = 5000;
    return options;
}

TEST(ImapAppendTest, AppendsTheMailUnreadIntoTheFolderOfTheUrl) {
    ScriptedImapServer server({});
    ImapAppend append(optionsFor(server));
    SendOutcome outcome = append.send(faxCopy());
    ASSERT_TRUE(outcome.ok) << outcome.error;

    std::vector<StoredMessage> messages = server.messages();
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(messages[0].folder, "Faxes");
    EXPECT_EQ(messages[0].data, kMessage);  // byte for byte, no dot-stuffing in a literal
    EXPECT_TRUE(messages[0].flags.empty()) << "\\Seen was not cleared";
    std::vector<std::string> commands = server.commands();
    EXPECT_THAT(commands, ::testing::Contains("LOGIN bob@example.org*faxgate"));
    EXPECT_THAT(commands, ::testing::Contains("UID STORE 40 -FLAGS (\\Seen)"));
    EXPECT_THAT(commands, Not(::testing::Contains(HasSubstr("SEARCH"))))
        << "APPENDUID gave the UID: no search needed";
}

TEST(ImapAppendTest, WithoutUidplusTheMessageIsFoundByItsMessageId) {
    ServerScript script;
    script.uidplus = false;
    ScriptedImapServer server(script);
    ImapAppend append(optionsFor(server));
    SendOutcome outcome = append.send(faxCopy());
    ASSERT_TRUE(outcome.ok) << outcome.error;

    std::vector<StoredMessage> messages = server.messages();
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_TRUE(messages[0].flags.empty()) << "\\Seen was not cleared";
    EXPECT_THAT(
        server.commands(),
        ::testing::Contains("UID SEARCH HEADER Message-ID \"<faxgate.fax-in.1234@faxgate.test>\""));
}

TEST(ImapAppendTest, NoPathMeansInboxAndTheUserIdCanBePartOfTheLogin) {
    ServerScript script;
    script.login = "bob";
    ScriptedImapServer server(script);
    ImapAppendOptions options = optionsFor(server, "");
    options.loginTemplate = "{user}";
    ImapAppend append(options);
    SendOutcome outcome = append.send(faxCopy("bob.external@example.org", "bob"));
    ASSERT_TRUE(outcome.ok) << outcome.error;
    ASSERT_EQ(server.messages().size(), 1u);
    EXPECT_EQ(server.messages()[0].folder, "INBOX");
    EXPECT_EQ(append.loginFor("a@b.example", "alice"), "alice");
}

TEST(ImapAppendTest, ARefusedLoginIsPermanentAndDoesNotShowThePassword) {
    ServerScript script;
    script.password = "another-secret";
    ScriptedImapServer server(script);
    ImapAppend append(optionsFor(server));
    SendOutcome outcome = append.send(faxCopy());
    EXPECT_FALSE(outcome.ok);
    EXPECT_TRUE(outcome.permanent);
    EXPECT_THAT(outcome.error, HasSubstr("login as bob@example.org*faxgate refused"));
    EXPECT_THAT(outcome.error, HasSubstr("AUTHENTICATIONFAILED"));
    EXPECT_THAT(outcome.error, Not(HasSubstr("master-secret")));
    EXPECT_TRUE(server.messages().empty());
}

TEST(ImapAppendTest, ALoginRefusedAsUnavailableIsTemporary) {
    ServerScript script;
    script.loginReply = "NO [UNAVAILABLE] authentication back-end down";
    ScriptedImapServer server(script);
    ImapAppend append(optionsFor(server));
    SendOutcome outcome = append.send(faxCopy());
    EXPECT_FALSE(outcome.ok);
    EXPECT_FALSE(outcome.permanent);
    EXPECT_THAT(outcome.error, HasSubstr("UNAVAILABLE"));
}

TEST(ImapAppendTest, AMissingFolderIsPermanentAFullMailboxTemporary) {
    {
        ServerScript script;
        script.appendReply = "NO [TRYCREATE] Mailbox doesn't exist: Faxes";
        ScriptedImapServer server(script);
        SendOutcome outcome = ImapAppend(optionsFor(server)).send(faxCopy());
        EXPECT_FALSE(outcome.ok);
        EXPECT_TRUE(outcome.permanent);
        EXPECT_THAT(outcome.error, HasSubstr("APPEND for bob@example.org*faxgate refused"));
        EXPECT_THAT(outcome.error, HasSubstr("TRYCREATE"));
    }
    {
        ServerScript script;
        script.appendReply = "NO [OVERQUOTA] Quota exceeded";
        ScriptedImapServer server(script);
        SendOutcome outcome = ImapAppend(optionsFor(server)).send(faxCopy());
        EXPECT_FALSE(outcome.ok);
        EXPECT_FALSE(outcome.permanent);
        EXPECT_THAT(outcome.error, HasSubstr("OVERQUOTA"));
    }
}

TEST(ImapAppendTest, AServerThatIsNotThereIsTemporary) {
    int port;
    {
        ScriptedImapServer server({});
        port = std::stoi(server.url("").substr(std::string("imap://127.0.0.1:").size()));
    }  // closed again: nobody listens on the port now
    ImapAppendOptions options;
    options.url = "imap://127.0.0.1:" + std::to_string(port) + "/INBOX";
    options.password = "x";
    options.requireTls = false;
    options.timeoutMs = 2000;
    SendOutcome outcome = ImapAppend(options).send(faxCopy());
    EXPECT_FALSE(outcome.ok);
    EXPECT_FALSE(outcome.permanent);
    EXPECT_THAT(outcome.error, HasSubstr("127.0.0.1"));
}

TEST(ImapAppendTest, RequiredTlsThatIsNotOfferedSendsNoPassword) {
    ScriptedImapServer server({});
    ImapAppendOptions options = optionsFor(server);
    options.requireTls = true;
    SendOutcome outcome = ImapAppend(options).send(faxCopy());
    EXPECT_FALSE(outcome.ok);
    EXPECT_FALSE(outcome.permanent);
    EXPECT_THAT(outcome.error, HasSubstr("STARTTLS"));  // libcurl's account, not "A001 OK"
    EXPECT_THAT(server.commands(), Not(::testing::Contains(HasSubstr("LOGIN"))));
    EXPECT_TRUE(server.messages().empty());
}

TEST(ImapAppendTest, MailsThatCannotBeAppendedAreRefusedBeforeConnecting) {
    ScriptedImapServer server({});
    ImapAppend append(optionsFor(server));
    OutboxMail two = faxCopy();
    two.to.push_back("carol@example.org");
    EXPECT_TRUE(append.send(two).permanent);
    EXPECT_TRUE(append.send(faxCopy("not an address")).permanent);
    ImapAppendOptions byUser = optionsFor(server);
    byUser.loginTemplate = "{user}";
    SendOutcome noUser = ImapAppend(byUser).send(faxCopy("bob@example.org", ""));
    EXPECT_TRUE(noUser.permanent);
    EXPECT_THAT(noUser.error, HasSubstr("{user}"));
    EXPECT_TRUE(server.commands().empty());
}

TEST(ImapAppendTest, UnusableOptionsAreRefusedAtConstruction) {
    auto build = [](auto change) {
        ImapAppendOptions options;
        options.url = "imaps://imap.example.org:993/INBOX";
        options.password = "x";
        change(options);
        return ImapAppend(options);
    };
    EXPECT_NO_THROW(build([](ImapAppendOptions&) {}));
    EXPECT_THROW(build([](ImapAppendOptions& o) { o.url = "smtp://imap.example.org"; }),
                 std::invalid_argument);
    EXPECT_THROW(build([](ImapAppendOptions& o) { o.url = "imap://u:p@imap.example.org/INBOX"; }),
                 std::invalid_argument);
    EXPECT_THROW(build([](ImapAppendOptions& o) { o.url = "imap://imap.example.org/INBOX;UID=1"; }),
                 std::invalid_argument);
    EXPECT_THROW(build([](ImapAppendOptions& o) { o.url = "imap://imap.example.org/My Faxes"; }),
                 std::invalid_argument);
    EXPECT_THROW(build([](ImapAppendOptions& o) { o.loginTemplate = "{name}"; }),
                 std::invalid_argument);
    EXPECT_THROW(build([](ImapAppendOptions& o) { o.password.clear(); }), std::invalid_argument);
    EXPECT_THROW(build([](ImapAppendOptions& o) { o.timeoutMs = 10; }), std::invalid_argument);
}

}  // namespace
}  // namespace faxgate::gateway
