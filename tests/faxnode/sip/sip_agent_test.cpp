// Two SipAgents on 127.0.0.1 in one process call each other: answer after rings, hang-up
// by either side, busy, no answer with CANCEL, cancel while ringing, re-INVITEs that change
// the media or only refresh the session (sofia's session timer), offers we cannot take, a
// peer that is not there, TCP, and an agent stopping mid-call. Every wait is bounded.
#include "faxnode/sip/sip_agent.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "tests/faxnode/sip/sip_test_support.h"

namespace faxgate::node::sip {
namespace {

using testing::EventType;
using testing::RecordingListener;

SipAgentOptions optionsFor(const std::string& user) {
    SipAgentOptions options;
    options.bindHost = "127.0.0.1";
    options.bindPort = 0;
    options.user = user;
    options.ringIntervalMs = 100;
    options.noAnswerTimeoutMs = 20000;
    options.hangUpGraceMs = 2000;
    options.shutdownTimeoutMs = 3000;
    return options;
}

LocalAudio audioAt(uint16_t port,
                   std::vector<AudioCodec> codecs = {AudioCodec::kPcma, AudioCodec::kPcmu}) {
    LocalAudio audio;
    audio.address = "127.0.0.1";
    audio.rtpPort = port;
    audio.codecs = std::move(codecs);
    return audio;
}

// Polls `condition` every 20 ms for at most `timeoutMs`.
bool eventually(const std::function<bool()>& condition, int timeoutMs = 10000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return condition();
}

uint16_t unusedUdpPort() {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        address.sin_port = 0;
    }
    close(fd);
    return ntohs(address.sin_port);
}

class SipCallTest : public ::testing::Test {
  protected:
    // The callee first: the caller dials its port.
    void start(SipAgentOptions callerOptions = optionsFor("caller"),
               const SipAgentOptions& calleeOptions = optionsFor("callee")) {
        callee_ = std::make_unique<SipAgent>(calleeOptions, calleeEvents_);
        callerOptions.peer = "127.0.0.1:" + std::to_string(callee_->boundPort());
        caller_ = std::make_unique<SipAgent>(callerOptions, callerEvents_);
    }

    CallId dial(const std::string& number = "0312345001", LocalAudio audio = audioAt(40000)) {
        DialRequest request;
        request.number = number;
        request.callerNumber = "0398765432";
        request.audio = std::move(audio);
        CallId call = caller_->dial(request);
        EXPECT_NE(call, 0u);
        return call;
    }

    // Dials and waits for the callee to see the INVITE; returns the callee's call ID.
    CallId dialAndWaitForIncoming(CallId& callerCall) {
        callerCall = dial();
        auto incoming = calleeEvents_.waitFor(EventType::kIncoming);
        EXPECT_TRUE(incoming.has_value());
        return incoming ? incoming->call : 0;
    }

    // A call answered at once with the callee on port 40002 (PCMU only).
    void establish(CallId& callerCall, CallId& calleeCall) {
        calleeCall = dialAndWaitForIncoming(callerCall);
        callee_->accept(calleeCall, 0, audioAt(40002, {AudioCodec::kPcmu}));
        ASSERT_TRUE(callerEvents_.waitFor(EventType::kEstablished, callerCall).has_value());
        ASSERT_TRUE(calleeEvents_.waitFor(EventType::kEstablished, calleeCall).has_value());
    }

    // Listeners outlive the agents (members are destroyed in reverse order).
    RecordingListener callerEvents_;
    RecordingListener calleeEvents_;
    std::unique_ptr<SipAgent> callee_;
    std::unique_ptr<SipAgent> caller_;
};

TEST_F(SipCallTest, AnsweredAfterTwoRingsBothSeeTheOthersMediaAndByeReachesTheCallee) {
    start();
    CallId callerCall = 0;
    CallId calleeCall = dialAndWaitForIncoming(callerCall);
    auto incoming = calleeEvents_.waitFor(EventType::kIncoming);
    ASSERT_TRUE(incoming);
    EXPECT_EQ(incoming->incoming.calledNumber, "0312345001");
    EXPECT_EQ(incoming->incoming.callerNumber, "0398765432");
    EXPECT_FALSE(incoming->incoming.sipCallId.empty());
    ASSERT_EQ(incoming->incoming.offer.media.size(), 1u);
    EXPECT_EQ(incoming->incoming.offer.media[0].port, 40000);

    callee_->accept(calleeCall, 2, audioAt(40002, {AudioCodec::kPcmu}));
    auto answered = callerEvents_.waitFor(EventType::kEstablished, callerCall);
    ASSERT_TRUE(answered);
    EXPECT_EQ(answered->audio.remoteAddress, "127.0.0.1");
    EXPECT_EQ(answered->audio.remotePort, 40002);
    EXPECT_EQ(answered->audio.codec, AudioCodec::kPcmu);
    EXPECT_EQ(answered->audio.payloadType, 0);
    EXPECT_EQ(answered->audio.direction, MediaDirection::kSendRecv);
    auto calleeUp = calleeEvents_.waitFor(EventType::kEstablished, calleeCall);
    ASSERT_TRUE(calleeUp);
    EXPECT_EQ(calleeUp->audio.remoteAddress, "127.0.0.1");
    EXPECT_EQ(calleeUp->audio.remotePort, 40000);
    EXPECT_EQ(calleeUp->audio.codec, AudioCodec::kPcmu);

    // The caller heard ringing before the answer.
    auto events = callerEvents_.events();
    ASSERT_GE(events.size(), 2u);
    EXPECT_EQ(events[0].type, EventType::kRinging);
    EXPECT_EQ(events[1].type, EventType::kEstablished);

    caller_->hangUp(callerCall);
    auto callerEnd = callerEvents_.waitFor(EventType::kEnded, callerCall);
    ASSERT_TRUE(callerEnd);
    EXPECT_EQ(callerEnd->end.cause, CallEndCause::kLocalHangUp);
    EXPECT_TRUE(callerEnd->end.answered);
    auto calleeEnd = calleeEvents_.waitFor(EventType::kEnded, calleeCall);
    ASSERT_TRUE(calleeEnd);
    EXPECT_EQ(calleeEnd->end.cause, CallEndCause::kRemoteHangUp);
    EXPECT_TRUE(calleeEnd->end.answered);
    EXPECT_NE(calleeEnd->end.reason.find("BYE"), std::string::npos);
}

TEST_F(SipCallTest, CalleeHangsUpAndTheCallerSeesTheBye) {
    start();
    CallId callerCall = 0, calleeCall = 0;
    establish(callerCall, calleeCall);
    callee_->hangUp(calleeCall);
    auto callerEnd = callerEvents_.waitFor(EventType::kEnded, callerCall);
    ASSERT_TRUE(callerEnd);
    EXPECT_EQ(callerEnd->end.cause, CallEndCause::kRemoteHangUp);
    EXPECT_TRUE(callerEnd->end.answered);
    EXPECT_TRUE(callerEnd->end.result.empty());
    auto calleeEnd = calleeEvents_.waitFor(EventType::kEnded, calleeCall);
    ASSERT_TRUE(calleeEnd);
    EXPECT_EQ(calleeEnd->end.cause, CallEndCause::kLocalHangUp);
}

TEST_F(SipCallTest, RefusedWith486IsBusy) {
    start();
    CallId callerCall = 0;
    CallId calleeCall = dialAndWaitForIncoming(callerCall);
    callee_->refuse(calleeCall, 486);
    auto end = callerEvents_.waitFor(EventType::kEnded, callerCall);
    ASSERT_TRUE(end);
    EXPECT_EQ(end->end.cause, CallEndCause::kFailed);
    EXPECT_FALSE(end->end.answered);
    EXPECT_EQ(end->end.sipStatus, 486);
    EXPECT_EQ(end->end.result, "busy");
    auto calleeEnd = calleeEvents_.waitFor(EventType::kEnded, calleeCall);
    ASSERT_TRUE(calleeEnd);
    EXPECT_EQ(calleeEnd->end.cause, CallEndCause::kLocalHangUp);
    EXPECT_EQ(calleeEnd->end.sipStatus, 486);
}

TEST_F(SipCallTest, NoAnswerTimesOutWithCancel) {
    SipAgentOptions callerOptions = optionsFor("caller");
    callerOptions.noAnswerTimeoutMs = 300;
    start(callerOptions);
    CallId callerCall = 0;
    CallId calleeCall = dialAndWaitForIncoming(callerCall);
    // The callee never answers.
    auto end = callerEvents_.waitFor(EventType::kEnded, callerCall);
    ASSERT_TRUE(end);
    EXPECT_EQ(end->end.cause, CallEndCause::kFailed);
    EXPECT_EQ(end->end.result, "no_answer");
    EXPECT_EQ(end->end.reason, "no answer within 300 ms (call cancelled)");
    EXPECT_EQ(end->end.sipStatus, 487);  // the callee's answer to our CANCEL
    auto calleeEnd = calleeEvents_.waitFor(EventType::kEnded, calleeCall);
    ASSERT_TRUE(calleeEnd);
    EXPECT_EQ(calleeEnd->end.cause, CallEndCause::kRemoteHangUp);
    EXPECT_FALSE(calleeEnd->end.answered);
    EXPECT_NE(calleeEnd->end.reason.find("CANCEL"), std::string::npos);
}

TEST_F(SipCallTest, CallerCancelsWhileRinging) {
    start();
    CallId callerCall = 0;
    CallId calleeCall = dialAndWaitForIncoming(callerCall);
    callee_->accept(calleeCall, 1000, audioAt(40002));  // rings for 100 s
    ASSERT_TRUE(callerEvents_.waitFor(EventType::kRinging, callerCall));
    caller_->hangUp(callerCall);
    auto end = callerEvents_.waitFor(EventType::kEnded, callerCall);
    ASSERT_TRUE(end);
    EXPECT_EQ(end->end.cause, CallEndCause::kLocalHangUp);
    EXPECT_EQ(end->end.result, "cancelled");
    EXPECT_FALSE(end->end.answered);
    auto calleeEnd = calleeEvents_.waitFor(EventType::kEnded, calleeCall);
    ASSERT_TRUE(calleeEnd);
    EXPECT_EQ(calleeEnd->end.cause, CallEndCause::kRemoteHangUp);
    EXPECT_EQ(callerEvents_.count(EventType::kEstablished), 0);
    EXPECT_EQ(calleeEvents_.count(EventType::kEstablished), 0);
}

TEST_F(SipCallTest, ReinviteWithANewPortReachesTheCallerAndTheCallGoesOn) {
    start();
    CallId callerCall = 0, calleeCall = 0;
    establish(callerCall, calleeCall);

    callee_->updateMedia(calleeCall, audioAt(40010, {AudioCodec::kPcmu}));
    auto changed = callerEvents_.waitFor(EventType::kMediaChanged, callerCall);
    ASSERT_TRUE(changed);
    EXPECT_EQ(changed->audio.remotePort, 40010);
    EXPECT_EQ(changed->audio.codec, AudioCodec::kPcmu);
    EXPECT_EQ(caller_->stats().mediaChanges, 1u);
    // The caller's answer kept its own port, so the callee's media did not change.
    ASSERT_TRUE(eventually([&] { return callee_->stats().refreshes >= 1; }));
    EXPECT_EQ(calleeEvents_.count(EventType::kMediaChanged), 0);

    // The dialog survived: a BYE still ends it on both sides, as a hang-up.
    caller_->hangUp(callerCall);
    auto calleeEnd = calleeEvents_.waitFor(EventType::kEnded, calleeCall);
    ASSERT_TRUE(calleeEnd);
    EXPECT_EQ(calleeEnd->end.cause, CallEndCause::kRemoteHangUp);
    EXPECT_EQ(callerEvents_.count(EventType::kEnded), 1);
}

TEST_F(SipCallTest, ReinviteThatChangesNothingGivesNoEvent) {
    start();
    CallId callerCall = 0, calleeCall = 0;
    establish(callerCall, calleeCall);
    callee_->updateMedia(calleeCall, audioAt(40002, {AudioCodec::kPcmu}));
    ASSERT_TRUE(eventually([&] { return caller_->stats().refreshes >= 1; }));
    EXPECT_EQ(callerEvents_.count(EventType::kMediaChanged), 0);
    EXPECT_EQ(callerEvents_.count(EventType::kEnded), 0);
    callee_->hangUp(calleeCall);
    ASSERT_TRUE(callerEvents_.waitFor(EventType::kEnded, callerCall));
}

TEST_F(SipCallTest, SessionTimerRefreshesDoNotEndTheCall) {
    SipAgentOptions callerOptions = optionsFor("caller");
    callerOptions.sessionExpiresS = 2;
    callerOptions.sessionMinSeS = 1;
    SipAgentOptions calleeOptions = optionsFor("callee");
    calleeOptions.sessionMinSeS = 1;
    start(callerOptions, calleeOptions);
    CallId callerCall = 0, calleeCall = 0;
    establish(callerCall, calleeCall);
    // sofia refreshes the 2 s session with re-INVITEs; three of them cover 3 session lengths.
    ASSERT_TRUE(eventually([&] { return callee_->stats().refreshes >= 3; }, 20000))
        << "refreshes seen: " << callee_->stats().refreshes;
    EXPECT_EQ(callerEvents_.count(EventType::kEnded), 0);
    EXPECT_EQ(calleeEvents_.count(EventType::kEnded), 0);
    EXPECT_EQ(calleeEvents_.count(EventType::kMediaChanged), 0);
    caller_->hangUp(callerCall);
    auto calleeEnd = calleeEvents_.waitFor(EventType::kEnded, calleeCall);
    ASSERT_TRUE(calleeEnd);
    EXPECT_EQ(calleeEnd->end.cause, CallEndCause::kRemoteHangUp);
}

TEST_F(SipCallTest, OfferWithoutG711IsRefusedWith488BeforeTheCalleeSeesIt) {
    start();
    LocalAudio noG711 = audioAt(40000, {});
    noG711.telephoneEvent = true;  // m=audio 40000 RTP/AVP 101
    CallId callerCall = dial("0312345001", noG711);
    auto end = callerEvents_.waitFor(EventType::kEnded, callerCall);
    ASSERT_TRUE(end);
    EXPECT_EQ(end->end.sipStatus, 488);
    EXPECT_EQ(end->end.result, "no_carrier");
    EXPECT_EQ(calleeEvents_.count(EventType::kIncoming), 0);
    ASSERT_TRUE(eventually([&] { return callee_->stats().callsRefusedEarly == 1; }));
}

TEST_F(SipCallTest, NobodyListeningIsNoCarrier) {
    RecordingListener events;
    SipAgentOptions options = optionsFor("caller");
    options.peer = "127.0.0.1:" + std::to_string(unusedUdpPort());
    SipAgent caller(options, events);
    DialRequest request;
    request.number = "0312345001";
    request.audio = audioAt(40000);
    CallId call = caller.dial(request);
    auto end = events.waitFor(EventType::kEnded, call, 40000);
    ASSERT_TRUE(end);
    EXPECT_EQ(end->end.cause, CallEndCause::kFailed);
    EXPECT_EQ(end->end.result, "no_carrier") << end->end.reason;
}

TEST_F(SipCallTest, CallsWorkOverTcp) {
    SipAgentOptions callerOptions = optionsFor("caller");
    callerOptions.tcp = true;
    SipAgentOptions calleeOptions = optionsFor("callee");
    calleeOptions.tcp = true;
    start(callerOptions, calleeOptions);
    CallId callerCall = 0, calleeCall = 0;
    establish(callerCall, calleeCall);
    caller_->hangUp(callerCall);
    auto calleeEnd = calleeEvents_.waitFor(EventType::kEnded, calleeCall);
    ASSERT_TRUE(calleeEnd);
    EXPECT_EQ(calleeEnd->end.cause, CallEndCause::kRemoteHangUp);
}

TEST_F(SipCallTest, CallsWorkOverIpv6) {
    SipAgentOptions callerOptions = optionsFor("caller");
    callerOptions.bindHost = "::1";
    SipAgentOptions calleeOptions = optionsFor("callee");
    calleeOptions.bindHost = "::1";
    callee_ = std::make_unique<SipAgent>(calleeOptions, calleeEvents_);
    callerOptions.peer = "[::1]:" + std::to_string(callee_->boundPort());
    caller_ = std::make_unique<SipAgent>(callerOptions, callerEvents_);

    LocalAudio callerAudio = audioAt(40000);
    callerAudio.address = "::1";
    CallId callerCall = dial("0312345001", callerAudio);
    auto incoming = calleeEvents_.waitFor(EventType::kIncoming);
    ASSERT_TRUE(incoming);
    LocalAudio calleeAudio = audioAt(40002);
    calleeAudio.address = "::1";
    callee_->accept(incoming->call, 0, calleeAudio);
    auto answered = callerEvents_.waitFor(EventType::kEstablished, callerCall);
    ASSERT_TRUE(answered);
    EXPECT_TRUE(answered->audio.remoteIpv6);
    EXPECT_EQ(answered->audio.remoteAddress, "::1");
    EXPECT_EQ(answered->audio.remotePort, 40002);
    caller_->hangUp(callerCall);
    ASSERT_TRUE(calleeEvents_.waitFor(EventType::kEnded, incoming->call));
}

// The INVITE of an agent with `tcp` really arrives over TCP: a plain TCP listener (no UDP
// socket on that port) receives it, with a Contact that asks for TCP.
TEST(SipAgent, DialsOverTcpWhenConfigured) {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(listener, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(listen(listener, 1), 0);
    socklen_t length = sizeof address;
    ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);

    RecordingListener events;
    SipAgentOptions options = optionsFor("caller");
    options.tcp = true;
    options.hangUpGraceMs = 200;
    options.peer = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
    SipAgent caller(options, events);
    DialRequest request;
    request.number = "0312345001";
    request.audio = audioAt(40000);
    CallId call = caller.dial(request);

    timeval timeout{10, 0};
    setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    int connection = accept(listener, nullptr, nullptr);
    ASSERT_GE(connection, 0) << "no TCP connection came";
    setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::string received;
    char buffer[2048];
    while (received.find("\r\n\r\n") == std::string::npos && received.size() < 65536) {
        ssize_t got = recv(connection, buffer, sizeof buffer, 0);
        if (got <= 0) break;
        received.append(buffer, static_cast<std::size_t>(got));
    }
    EXPECT_EQ(received.rfind("INVITE sip:0312345001@127.0.0.1:", 0), 0u) << received;
    EXPECT_NE(received.find("Via: SIP/2.0/TCP"), std::string::npos) << received;
    EXPECT_NE(received.find("transport=tcp"), std::string::npos) << received;
    caller.hangUp(call);  // nothing answers: the CANCEL is given up after hangUpGraceMs
    auto end = events.waitFor(EventType::kEnded, call);
    ASSERT_TRUE(end);
    EXPECT_EQ(end->end.result, "cancelled");
    close(connection);
    close(listener);
}

TEST_F(SipCallTest, StoppingAnAgentEndsItsCallsOnBothSides) {
    start();
    CallId callerCall = 0, calleeCall = 0;
    establish(callerCall, calleeCall);
    callee_->stop();
    // The callee's own end was reported during stop(), exactly once.
    EXPECT_EQ(calleeEvents_.count(EventType::kEnded, calleeCall), 1);
    auto calleeEnd = calleeEvents_.waitFor(EventType::kEnded, calleeCall);
    ASSERT_TRUE(calleeEnd);
    EXPECT_EQ(calleeEnd->end.cause, CallEndCause::kLocalHangUp);
    auto callerEnd = callerEvents_.waitFor(EventType::kEnded, callerCall);
    ASSERT_TRUE(callerEnd);
    EXPECT_EQ(callerEnd->end.cause, CallEndCause::kRemoteHangUp);
    // Nothing is posted to a stopped agent.
    DialRequest request;
    request.number = "0312345001";
    request.audio = audioAt(40000);
    EXPECT_EQ(callee_->dial(request), 0u);
}

TEST_F(SipCallTest, UndialableNumbersAreRefusedAtOnce) {
    start();
    DialRequest request;
    request.audio = audioAt(40000);
    request.number = "";
    EXPECT_EQ(caller_->dial(request), 0u);
    request.number = "03 1234";
    EXPECT_EQ(caller_->dial(request), 0u);
    request.number = "0312@evil";
    EXPECT_EQ(caller_->dial(request), 0u);
}

TEST(SipAgent, BindingAPortInUseThrowsNamingTheAddress) {
    RecordingListener events;
    SipAgentOptions options = optionsFor("first");
    SipAgent first(options, events);
    options.bindPort = first.boundPort();
    try {
        SipAgent second(options, events);
        FAIL() << "a second agent bound the same port";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("127.0.0.1"), std::string::npos) << error.what();
    }
}

}  // namespace
}  // namespace faxgate::node::sip
