// Digest authentication against a small scripted SIP server on 127.0.0.1 (UDP). As a
// registrar it challenges REGISTER with 401, checks the digest response (RFC 2617 without
// qop) and grants a short expiry, so the agent's registration, its refresh, wrong
// credentials, the retry after a failure and the un-REGISTER at stop are all seen from the
// registrar's side. As a proxy it challenges INVITE with 407 and answers an authorised one
// with 486 (no dialog to script). Kamailio as registrar and proxy belongs to the end-to-end
// tests.
#include <Poco/DigestEngine.h>
#include <Poco/MD5Engine.h>
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "faxnode/sip/sip_agent.h"
#include "tests/faxnode/sip/sip_test_support.h"

namespace faxgate::node::sip {
namespace {

using testing::EventType;
using testing::RecordingListener;

std::string md5(const std::string& text) {
    Poco::MD5Engine engine;
    engine.update(text);
    return Poco::DigestEngine::digestToHex(engine.digest());
}

std::string lower(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// The digest parameters of an Authorization header value ("Digest a=b, c="d", ...").
std::map<std::string, std::string> digestParameters(const std::string& value) {
    std::map<std::string, std::string> parameters;
    std::size_t pos = value.find(' ');
    while (pos != std::string::npos && pos < value.size()) {
        while (pos < value.size() && (value[pos] == ' ' || value[pos] == ',')) ++pos;
        std::size_t equals = value.find('=', pos);
        if (equals == std::string::npos) break;
        std::string name = lower(value.substr(pos, equals - pos));
        std::string parameter;
        pos = equals + 1;
        if (pos < value.size() && value[pos] == '"') {
            std::size_t close = value.find('"', pos + 1);
            if (close == std::string::npos) break;
            parameter = value.substr(pos + 1, close - pos - 1);
            pos = close + 1;
        } else {
            std::size_t comma = value.find(',', pos);
            parameter =
                value.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
            pos = comma;
        }
        parameters[name] = parameter;
    }
    return parameters;
}

// A registrar and proxy that answers REGISTER and INVITE on a UDP socket of its own thread.
class ScriptedRegistrar {
  public:
    ScriptedRegistrar(std::string user, std::string password, int grantExpiresS)
        : user_(std::move(user)), password_(std::move(password)), grantExpiresS_(grantExpiresS) {
        fd_ = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
            getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
            port_ = ntohs(address.sin_port);
        }
        thread_ = std::thread([this] { run(); });
    }
    ~ScriptedRegistrar() {
        stop_ = true;
        thread_.join();
        close(fd_);
    }

    std::string uri() const { return "sip:127.0.0.1:" + std::to_string(port_); }
    // The first `n` REGISTERs are answered 503 (a registrar that is down).
    void failFirst(int n) { failuresLeft_ = n; }

    int registers() const { return registers_.load(); }
    int invites() const { return invites_.load(); }
    int acks() const { return acks_.load(); }
    int authorized() const { return authorized_.load(); }
    std::vector<std::string> requests() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return requests_;
    }

  private:
    void run() {
        char buffer[8192];
        while (!stop_) {
            pollfd waiting{fd_, POLLIN, 0};
            if (poll(&waiting, 1, 50) <= 0) continue;
            sockaddr_in from{};
            socklen_t length = sizeof from;
            ssize_t got = recvfrom(fd_, buffer, sizeof buffer, 0,
                                   reinterpret_cast<sockaddr*>(&from), &length);
            if (got <= 0) continue;
            std::string reply = answer(std::string(buffer, static_cast<std::size_t>(got)));
            if (!reply.empty()) {
                sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from),
                       length);
            }
        }
    }

    std::string answer(const std::string& request) {
        if (request.rfind("ACK ", 0) == 0) ++acks_;
        bool invite = request.rfind("INVITE ", 0) == 0;
        if (!invite && request.rfind("REGISTER ", 0) != 0) return "";
        {
            std::lock_guard<std::mutex> lock(mutex_);
            requests_.push_back(request);
        }
        ++(invite ? invites_ : registers_);
        std::vector<std::string> vias;
        std::string from, to, callId, cseq, contact, authorization;
        std::istringstream lines(request);
        std::string line;
        while (std::getline(lines, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.empty()) break;
            std::size_t colon = line.find(':');
            if (colon == std::string::npos) continue;
            std::string name = lower(line.substr(0, colon));
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            if (name == "via" || name == "v") vias.push_back(value);
            if (name == "from" || name == "f") from = value;
            if (name == "to" || name == "t") to = value;
            if (name == "call-id" || name == "i") callId = value;
            if (name == "cseq") cseq = value;
            if (name == "contact" || name == "m") contact = value;
            if (name == "authorization" || name == "proxy-authorization") authorization = value;
        }
        if (to.find(";tag=") == std::string::npos) to += ";tag=registrar1";
        std::string head;
        for (const auto& via : vias) head += "Via: " + via + "\r\n";
        head += "From: " + from + "\r\nTo: " + to + "\r\nCall-ID: " + callId + "\r\nCSeq: " + cseq +
                "\r\n";
        if (failuresLeft_ > 0) {
            --failuresLeft_;
            return "SIP/2.0 503 Service Unavailable\r\n" + head + "Content-Length: 0\r\n\r\n";
        }
        if (!authorization.empty() && digestOk(authorization, invite ? "INVITE" : "REGISTER")) {
            ++authorized_;
            if (invite) {
                return "SIP/2.0 486 Busy Here\r\n" + head + "Content-Length: 0\r\n\r\n";
            }
            std::size_t end = contact.find('>');
            std::string contactOnly = end == std::string::npos
                                          ? contact.substr(0, contact.find(';'))
                                          : contact.substr(0, end + 1);
            return "SIP/2.0 200 OK\r\n" + head + "Contact: " + contactOnly +
                   ";expires=" + std::to_string(grantExpiresS_) + "\r\nContent-Length: 0\r\n\r\n";
        }
        std::string challenge =
            std::string("Digest realm=\"") + kRealm + "\", nonce=\"" + kNonce + "\", algorithm=MD5";
        if (invite) {
            return "SIP/2.0 407 Proxy Authentication Required\r\n" + head +
                   "Proxy-Authenticate: " + challenge + "\r\nContent-Length: 0\r\n\r\n";
        }
        return "SIP/2.0 401 Unauthorized\r\n" + head + "WWW-Authenticate: " + challenge +
               "\r\nContent-Length: 0\r\n\r\n";
    }

    bool digestOk(const std::string& authorization, const std::string& method) const {
        auto parameters = digestParameters(authorization);
        if (parameters["username"] != user_ || parameters["realm"] != kRealm ||
            parameters["nonce"] != kNonce) {
            return false;
        }
        std::string ha1 = md5(user_ + ":" + kRealm + ":" + password_);
        std::string ha2 = md5(method + ":" + parameters["uri"]);
        return parameters["response"] == md5(ha1 + ":" + kNonce + ":" + ha2);
    }

    static constexpr const char* kRealm = "faxgate.test";
    static constexpr const char* kNonce = "5ca1ab1e0ddba11";
    std::string user_;
    std::string password_;
    int grantExpiresS_;
    int fd_ = -1;
    uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> registers_{0};
    std::atomic<int> invites_{0};
    std::atomic<int> acks_{0};
    std::atomic<int> authorized_{0};
    std::atomic<int> failuresLeft_{0};
    mutable std::mutex mutex_;
    std::vector<std::string> requests_;
    std::thread thread_;
};

bool eventually(const std::function<bool()>& condition, int timeoutMs = 15000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return condition();
}

SipAgentOptions registeringOptions(const ScriptedRegistrar& registrar,
                                   const std::string& password) {
    SipAgentOptions options;
    options.bindHost = "127.0.0.1";
    options.bindPort = 0;
    options.user = "0312345001";
    options.domain = "faxgate.test";
    options.registrar = registrar.uri();
    options.authPassword = password;
    options.registerExpiresS = 600;
    options.registerRetryS = 3600;
    options.shutdownTimeoutMs = 3000;
    return options;
}

TEST(SipRegister, RegistersWithDigestAndRefreshesBeforeExpiry) {
    ScriptedRegistrar registrar("0312345001", "s3cret", 2);
    RecordingListener events;
    SipAgent agent(registeringOptions(registrar, "s3cret"), events);

    auto registered = events.waitUntil([](const testing::Event& e) {
        return e.type == EventType::kRegistration &&
               e.registration.state == RegistrationState::kRegistered;
    });
    ASSERT_TRUE(registered) << "registration: " << agent.registration().reason;
    EXPECT_EQ(registered->registration.sipStatus, 200);
    EXPECT_EQ(registered->registration.expiresS, 2);  // what the registrar granted
    EXPECT_EQ(agent.registration().state, RegistrationState::kRegistered);
    auto requests = registrar.requests();
    ASSERT_GE(requests.size(), 2u);  // challenged, then authorised
    EXPECT_EQ(requests[0].find("Authorization"), std::string::npos);
    EXPECT_NE(requests[0].find("To: <sip:0312345001@faxgate.test>"), std::string::npos)
        << requests[0];
    EXPECT_NE(requests[0].find("sip:0312345001@127.0.0.1:" + std::to_string(agent.boundPort())),
              std::string::npos)
        << requests[0];

    // The 2 s registration is refreshed (with the stored credentials) before it runs out.
    ASSERT_TRUE(eventually([&] { return registrar.authorized() >= 3; }))
        << "authorised REGISTERs: " << registrar.authorized();
    EXPECT_EQ(agent.registration().state, RegistrationState::kRegistered);
}

TEST(SipRegister, WrongPasswordFailsWithoutLooping) {
    ScriptedRegistrar registrar("0312345001", "s3cret", 60);
    RecordingListener events;
    SipAgent agent(registeringOptions(registrar, "wrong"), events);
    auto failed = events.waitUntil([](const testing::Event& e) {
        return e.type == EventType::kRegistration &&
               e.registration.state == RegistrationState::kFailed;
    });
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->registration.sipStatus, 401);
    EXPECT_NE(failed->registration.reason.find("refused our credentials"), std::string::npos)
        << failed->registration.reason;
    EXPECT_EQ(registrar.authorized(), 0);
    // One unauthenticated REGISTER and one with credentials: the same challenge again
    // (not stale) means the password is wrong, so the agent does not try again.
    EXPECT_EQ(registrar.registers(), 2);
}

TEST(SipRegister, RetriesAfterTheRegistrarFailed) {
    ScriptedRegistrar registrar("0312345001", "s3cret", 60);
    registrar.failFirst(1);
    RecordingListener events;
    SipAgentOptions options = registeringOptions(registrar, "s3cret");
    options.registerRetryS = 1;
    SipAgent agent(options, events);
    auto failed = events.waitUntil([](const testing::Event& e) {
        return e.type == EventType::kRegistration &&
               e.registration.state == RegistrationState::kFailed;
    });
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->registration.sipStatus, 503);
    auto registered = events.waitUntil([](const testing::Event& e) {
        return e.type == EventType::kRegistration &&
               e.registration.state == RegistrationState::kRegistered;
    });
    ASSERT_TRUE(registered);
    EXPECT_EQ(registered->registration.expiresS, 60);
}

TEST(SipRegister, StopUnregisters) {
    ScriptedRegistrar registrar("0312345001", "s3cret", 60);
    RecordingListener events;
    SipAgent agent(registeringOptions(registrar, "s3cret"), events);
    ASSERT_TRUE(
        eventually([&] { return agent.registration().state == RegistrationState::kRegistered; }));
    int before = registrar.authorized();
    agent.stop();
    EXPECT_GT(registrar.authorized(), before);
    std::string last = registrar.requests().back();
    EXPECT_TRUE(last.find("expires=0") != std::string::npos ||
                last.find("Expires: 0") != std::string::npos)
        << last;
}

SipAgentOptions callingOptions(const ScriptedRegistrar& proxy, const std::string& password) {
    SipAgentOptions options;
    options.bindHost = "127.0.0.1";
    options.bindPort = 0;
    options.user = "0312345001";
    options.domain = "faxgate.test";
    options.outboundProxy = proxy.uri();
    options.authPassword = password;
    options.shutdownTimeoutMs = 3000;
    return options;
}

CallId dialThrough(SipAgent& agent) {
    DialRequest request;
    request.number = "0399887766";
    request.audio.address = "127.0.0.1";
    request.audio.rtpPort = 40000;
    return agent.dial(request);
}

TEST(SipProxyAuth, InviteAnswersTheProxysChallenge) {
    ScriptedRegistrar proxy("0312345001", "s3cret", 60);
    RecordingListener events;
    SipAgent agent(callingOptions(proxy, "s3cret"), events);
    CallId call = dialThrough(agent);
    auto end = events.waitFor(EventType::kEnded, call);
    ASSERT_TRUE(end);
    // The proxy only answers 486 to an INVITE whose digest was right.
    EXPECT_EQ(end->end.sipStatus, 486);
    EXPECT_EQ(end->end.result, "busy");
    EXPECT_EQ(proxy.invites(), 2);
    EXPECT_EQ(proxy.authorized(), 1);
    auto requests = proxy.requests();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[0].rfind("INVITE sip:0399887766@faxgate.test", 0), 0u) << requests[0];
    EXPECT_NE(requests[1].find("Proxy-Authorization: Digest"), std::string::npos) << requests[1];
    // Both final responses were acknowledged.
    EXPECT_TRUE(eventually([&] { return proxy.acks() >= 2; }));
}

TEST(SipProxyAuth, WrongPasswordEndsTheCallWithAReason) {
    ScriptedRegistrar proxy("0312345001", "s3cret", 60);
    RecordingListener events;
    SipAgent agent(callingOptions(proxy, "wrong"), events);
    CallId call = dialThrough(agent);
    auto end = events.waitFor(EventType::kEnded, call);
    ASSERT_TRUE(end);
    EXPECT_EQ(end->end.cause, CallEndCause::kFailed);
    EXPECT_EQ(end->end.sipStatus, 407);
    EXPECT_EQ(end->end.result, "no_carrier");
    EXPECT_NE(end->end.reason.find("credentials"), std::string::npos) << end->end.reason;
    EXPECT_EQ(proxy.invites(), 2);
    EXPECT_EQ(proxy.authorized(), 0);
}

TEST(SipRegister, NoRegistrarMeansNoRegistration) {
    RecordingListener events;
    SipAgentOptions options;
    options.bindHost = "127.0.0.1";
    options.bindPort = 0;
    SipAgent agent(options, events);
    EXPECT_EQ(agent.registration().state, RegistrationState::kNone);
}

}  // namespace
}  // namespace faxgate::node::sip
