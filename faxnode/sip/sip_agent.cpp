// The SIP user agent on sofia-sip's NUA (see sip_agent.h). Layout of this file: logging and
// small helpers; Core (the agent's state, owned by its thread); the thread's life (start,
// event loop, shutdown); the NUA event dispatcher; outbound calls; inbound calls; mid-call
// offers; registration; the public methods, which only post tasks.
//
// sofia facts this relies on (sofia-sip 1.12.11, checked with two agents in one process):
// - su_root_threading(root, 0) keeps NUA's stack on the agent's thread, so callbacks and
//   nua_* calls all happen there;
// - with NUTAG_MEDIA_ENABLE(0), SDP is whatever the application puts in SIPTAG_PAYLOAD; an
//   initial INVITE or a re-INVITE is never answered by the stack (nua_i_invite, status 100),
//   and UPDATE is left to us by naming it in NUTAG_APPL_METHOD;
// - the INVITE given to nua_invite() is the template of sofia's session-timer refreshes, so
//   a refresh re-offers the current SDP unchanged;
// - NUTAG_URL("sip:host:0") binds a free port; nua_get_params() reports it in NTATAG_CONTACT.
#include "faxnode/sip/sip_agent.h"

#include <Poco/Logger.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include "faxnode/sip/call_outcome.h"

// sofia-sip's headers, in its own order; the magic pointers stay void.
#include <sofia-sip/msg_header.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/url.h>

// The stack's log objects: exported by libsofia-sip-ua but not declared in its headers.
extern "C" {
extern su_log_t nua_log[];
extern su_log_t nta_log[];
extern su_log_t tport_log[];
}

namespace faxgate::node::sip {

namespace {

Poco::Logger& logger() { return Poco::Logger::get("faxnode.sip"); }

// sofia's own log lines go to "faxnode.sip.stack": levels 0-2 are errors worth a warning,
// the rest is debugging.
void stackLogger(void* stream, char const* format, va_list ap) {
    (void)stream;
    va_list copy;
    va_copy(copy, ap);
    char buffer[1024];
    int length = std::vsnprintf(buffer, sizeof buffer, format, copy);
    va_end(copy);
    if (length <= 0) return;
    std::string line(buffer,
                     std::min<std::size_t>(static_cast<std::size_t>(length), sizeof buffer - 1));
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line.empty()) return;
    Poco::Logger::get("faxnode.sip.stack").debug(line);
}

// Process-wide sofia set-up: the log redirection and the parser for extra headers
// (P-Asserted-Identity). Done once; su_init() itself is per thread.
void initialiseSofiaOnce() {
    static std::once_flag once;
    std::call_once(once, [] {
        su_log_redirect(su_log_default, stackLogger, nullptr);
        su_log_redirect(nua_log, stackLogger, nullptr);
        su_log_redirect(nta_log, stackLogger, nullptr);
        su_log_redirect(tport_log, stackLogger, nullptr);
        sip_update_default_mclass(sip_extend_mclass(nullptr));
    });
}

std::string hostForUri(const std::string& host) {
    if (host.find(':') != std::string::npos && host.front() != '[') return "[" + host + "]";
    return host;
}

// The user part of a dialled number, or nullopt when it holds characters a fax number never
// has. '#' is escaped as SIP URIs require.
std::optional<std::string> userPartOf(const std::string& number) {
    if (number.empty() || number.size() > 64) return std::nullopt;
    std::string user;
    for (char c : number) {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '*' || c == '.' ||
            c == '-' || c == '_') {
            user += c;
        } else if (c == '#') {
            user += "%23";
        } else {
            return std::nullopt;
        }
    }
    return user;
}

std::string quotedDisplay(const std::string& display) {
    std::string out;
    for (char c : display) {
        if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) out += c;
    }
    return out.empty() ? out : "\"" + out + "\" ";
}

std::string textOf(const char* text) { return text ? text : ""; }

std::string callName(CallId id) { return "SIP call " + std::to_string(id); }

std::string describe(const NegotiatedAudio& audio) {
    return std::string(encodingNameOf(audio.codec)) + " to " + audio.remoteAddress + " port " +
           std::to_string(audio.remotePort) + ", " + toString(audio.direction);
}

std::string payloadOf(sip_t const* sip) {
    if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data) return {};
    return std::string(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

uint64_t randomSessionId() {
    std::random_device device;
    std::uniform_int_distribution<uint64_t> distribution(1, (uint64_t{1} << 62) - 1);
    return distribution(device);
}

bool sameAudio(const NegotiatedAudio& a, const NegotiatedAudio& b) {
    return a.remoteAddress == b.remoteAddress && a.remotePort == b.remotePort &&
           a.codec == b.codec && a.payloadType == b.payloadType &&
           a.telephoneEventPayloadType == b.telephoneEventPayloadType && a.direction == b.direction;
}

constexpr const char* kSdpType = "application/sdp";
// Answers to challenges per request: a new challenge after our credentials means they were
// wrong, unless it says stale=true (the nonce expired); this bounds the stale ones.
constexpr int kMaxAuthTries = 3;

}  // namespace

const char* toString(CallEndCause cause) {
    switch (cause) {
        case CallEndCause::kLocalHangUp:
            return "local hang-up";
        case CallEndCause::kRemoteHangUp:
            return "remote hang-up";
        case CallEndCause::kFailed:
            return "failed";
    }
    return "failed";
}

const char* toString(RegistrationState state) {
    switch (state) {
        case RegistrationState::kNone:
            return "none";
        case RegistrationState::kRegistering:
            return "registering";
        case RegistrationState::kRegistered:
            return "registered";
        case RegistrationState::kFailed:
            return "failed";
    }
    return "none";
}

// ---------------------------------------------------------------------------------------

struct SipAgent::Core {
    enum class Direction { kOutbound, kInbound };
    enum class TimerPurpose { kNone, kNoAnswer, kAnswer, kGiveUp };

    // One call's state. Owned by `calls`; touched only on the agent's thread.
    struct Call {
        CallId id = 0;
        Direction direction = Direction::kOutbound;
        nua_handle_t* handle = nullptr;
        su_timer_t* timer = nullptr;
        TimerPurpose timerPurpose = TimerPurpose::kNone;

        bool reported = false;           // the listener knows this call (onIncomingCall / dial)
        bool established = false;        // 200 OK sent or received
        bool ended = false;              // onCallEnded() was delivered
        bool ringing = false;            // onRinging() was delivered
        bool accepted = false;           // inbound: accept() came
        bool answerSent = false;         // inbound: 200 OK went out
        bool cancelRequested = false;    // outbound: hangUp() before answer
        bool noAnswerFired = false;      // outbound: our no-answer timer cancelled the INVITE
        bool awaitingAckAnswer = false;  // we offered in a 200 OK; the answer comes in ACK
        int authTries = 0;
        std::optional<CallEnd> giveUpEnd;  // what to report if the CANCEL stays unanswered

        LocalAudio local;
        SdpOrigin origin;
        std::string localSdp;                           // the last SDP we sent (offer or answer)
        std::string remoteSdp;                          // the last SDP received
        std::optional<SessionDescription> inviteOffer;  // ours, in our last INVITE (sofia's
                                                        //   session refreshes resend it)
        std::optional<SessionDescription> ackOffer;     // ours, in a 200 OK; answer due in ACK
        std::optional<SessionDescription> remoteOffer;  // inbound: the INVITE's offer
        NegotiatedAudio audio;                          // what is in force
    };

    SipAgentOptions options;
    SipAgentListener& listener;

    // Shared with other threads.
    std::mutex queueMutex;
    std::deque<std::function<void()>> tasks;
    bool acceptingTasks = true;
    int wakeFd = -1;
    std::atomic<CallId> nextCallId{1};
    std::atomic<uint16_t> port{0};
    mutable std::mutex statusMutex;
    RegistrationStatus registrationStatus;
    SipAgentStats counters;
    std::thread thread;
    std::mutex stopMutex;
    bool stopped = false;

    // The agent's thread only.
    su_root_t* root = nullptr;
    nua_t* nua = nullptr;
    su_wait_t wakeWait[1];
    int wakeIndex = -1;
    bool running = true;
    bool stopping = false;
    bool shutdownDone = false;
    std::map<CallId, std::unique_ptr<Call>> calls;
    std::map<nua_handle_t*, CallId> callByHandle;  // the handles of `calls`
    nua_handle_t* registerHandle = nullptr;
    su_timer_t* registerRetryTimer = nullptr;
    int registerAuthTries = 0;

    Core(SipAgentOptions o, SipAgentListener& l) : options(std::move(o)), listener(l) {
        if (options.domain.empty()) options.domain = options.bindHost;
        if (options.peer.empty()) options.peer = options.domain;
        if (options.authUser.empty()) options.authUser = options.user;
    }

    // ---- thread life -------------------------------------------------------------------

    void run(std::promise<std::string>& started) {
        su_init();
        initialiseSofiaOnce();
        std::string error = setUp();
        if (!error.empty()) {
            if (nua) shutDown();
            tearDown();
            su_deinit();
            started.set_value(error);
            return;
        }
        started.set_value("");
        if (!options.registrar.empty()) startRegistration();
        while (running) su_root_step(root, 1000);
        shutDown();
        tearDown();
        su_deinit();
    }

    std::string setUp() {
        root = su_root_create(this);
        if (!root) return "sofia-sip could not create its event loop";
        su_root_threading(root, 0);
        wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (wakeFd < 0) return std::string("eventfd: ") + std::strerror(errno);
        su_wait_create(wakeWait, wakeFd, SU_WAIT_IN);
        wakeIndex = su_root_register(root, wakeWait, &Core::onWake, this, 0);
        if (wakeIndex < 0) return "sofia-sip could not watch the task queue";

        std::string bindUrl =
            "sip:" + hostForUri(options.bindHost) + ":" + std::to_string(options.bindPort);
        if (!options.tcp) bindUrl += ";transport=udp";
        nua = nua_create(
            root, &Core::onEvent, this, NUTAG_URL(bindUrl.c_str()), NUTAG_MEDIA_ENABLE(0),
            NUTAG_AUTOALERT(0), NUTAG_AUTOANSWER(0), NUTAG_ENABLEMESSAGE(0), NUTAG_INVITE_TIMER(0),
            NUTAG_SESSION_TIMER(options.sessionExpiresS),
            NUTAG_MIN_SE(static_cast<unsigned>(std::max(options.sessionMinSeS, 1))),
            NUTAG_APPL_METHOD("UPDATE"),
            SIPTAG_ALLOW_STR("INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE"),
            SIPTAG_USER_AGENT_STR(options.userAgent.c_str()),
            NUTAG_OUTBOUND("no-options-keepalive no-validate no-natify"), NUTAG_KEEPALIVE(0),
            // With TCP, our Contact asks for TCP too, so in-dialog requests (ACK, BYE,
            // re-INVITE) do not fall back to UDP.
            TAG_IF(options.tcp, NUTAG_M_PARAMS("transport=tcp")),
            TAG_IF(!options.outboundProxy.empty(), NUTAG_PROXY(options.outboundProxy.c_str())),
            TAG_END());
        if (!nua) return "cannot bind SIP to " + bindUrl + " (address in use or not local?)";

        // The bound port (differs from bindPort when that was 0).
        nua_get_params(nua, NTATAG_CONTACT(nullptr), TAG_END());
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (port.load() == 0 && std::chrono::steady_clock::now() < deadline) {
            su_root_step(root, 100);
        }
        if (port.load() == 0) return "sofia-sip did not report the port it bound";
        return "";
    }

    void shutDown() {
        stopping = true;
        if (registerRetryTimer) su_timer_reset(registerRetryTimer);
        // Only a live registration is worth an un-REGISTER: a failed one would only be
        // challenged again and hold up the shutdown.
        if (registerHandle && registration().state != RegistrationState::kRegistered) {
            nua_handle_destroy(registerHandle);
            registerHandle = nullptr;
        }
        for (auto& [id, call] : calls) {
            if (call->reported && !call->ended) {
                CallEnd end;
                end.cause = CallEndCause::kLocalHangUp;
                end.answered = call->established;
                end.reason = "the SIP agent stopped";
                if (call->direction == Direction::kOutbound && !call->established) {
                    end.result = cancelledOutcome().result;
                }
                finish(*call, end);
            }
        }
        // nua_shutdown() sends BYE/CANCEL/480 for the calls and un-registers.
        nua_shutdown(nua);
        auto deadline =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(options.shutdownTimeoutMs);
        while (!shutdownDone && std::chrono::steady_clock::now() < deadline) {
            su_root_step(root, 50);
        }
        if (!shutdownDone) {
            // A transaction still runs (a registrar or peer that does not answer): sofia
            // refuses to be destroyed then, so its memory is left to the process's exit
            // rather than freed under its timers.
            logger().warning("SIP agent: stack shutdown timed out; leaving its memory");
        }
    }

    void tearDown() {
        for (auto& [id, call] : calls) {
            if (call->timer) su_timer_destroy(call->timer);
            call->timer = nullptr;
        }
        calls.clear();  // nua_destroy() frees the handles
        callByHandle.clear();
        if (registerRetryTimer) su_timer_destroy(registerRetryTimer);
        registerRetryTimer = nullptr;
        bool leaveStack = nua && !shutdownDone;
        if (nua && !leaveStack) nua_destroy(nua);
        nua = nullptr;
        if (root && wakeIndex >= 0) su_root_deregister(root, wakeIndex);
        wakeIndex = -1;
        if (root && !leaveStack) su_root_destroy(root);
        root = nullptr;
        if (wakeFd >= 0) close(wakeFd);
        wakeFd = -1;
    }

    // ---- tasks from other threads ------------------------------------------------------

    bool post(std::function<void()> task) {
        {
            std::lock_guard<std::mutex> lock(queueMutex);
            if (!acceptingTasks) return false;
            tasks.push_back(std::move(task));
        }
        uint64_t one = 1;
        ssize_t written = write(wakeFd, &one, sizeof one);
        (void)written;  // a full counter still wakes the loop
        return true;
    }

    static int onWake(su_root_magic_t* magic, su_wait_t* wait, su_wakeup_arg_t* arg) {
        (void)magic;
        (void)wait;
        auto* core = static_cast<Core*>(arg);
        uint64_t count = 0;
        ssize_t got = read(core->wakeFd, &count, sizeof count);
        (void)got;
        std::deque<std::function<void()>> batch;
        {
            std::lock_guard<std::mutex> lock(core->queueMutex);
            batch.swap(core->tasks);
        }
        for (auto& task : batch) task();
        return 0;
    }

    // ---- calls: bookkeeping ------------------------------------------------------------

    Call* findCall(CallId id) {
        auto it = calls.find(id);
        return it == calls.end() ? nullptr : it->second.get();
    }

    // The call a NUA handle belongs to. Handles are looked up by address instead of carrying
    // the Call as their magic, so no pointer of ours lives on in sofia after release().
    Call* callOf(nua_handle_t* handle) {
        auto it = callByHandle.find(handle);
        return it == callByHandle.end() ? nullptr : findCall(it->second);
    }

    void attachHandle(Call& call, nua_handle_t* handle) {
        call.handle = handle;
        if (handle) callByHandle[handle] = call.id;
    }

    Call& newCall(Direction direction) {
        auto call = std::make_unique<Call>();
        call->id = nextCallId.fetch_add(1);
        call->direction = direction;
        call->origin.sessionId = randomSessionId();
        Call& ref = *call;
        calls.emplace(call->id, std::move(call));
        return ref;
    }

    void setTimer(Call& call, TimerPurpose purpose, int delayMs) {
        if (!call.timer) call.timer = su_timer_create(su_root_task(root), 0);
        if (!call.timer) return;
        call.timerPurpose = purpose;
        // The timer is destroyed with the call (release()), so it may point at it.
        su_timer_set_interval(call.timer, &Core::onCallTimer, &call, std::max(delayMs, 1));
    }

    void resetTimer(Call& call) {
        if (call.timer) su_timer_reset(call.timer);
        call.timerPurpose = TimerPurpose::kNone;
    }

    // Delivers the call's one onCallEnded().
    void finish(Call& call, const CallEnd& end) {
        if (call.ended) return;
        call.ended = true;
        if (call.timerPurpose != TimerPurpose::kGiveUp) resetTimer(call);
        std::string line = callName(call.id) + " ended: " + toString(end.cause) +
                           (end.result.empty() ? "" : ", " + end.result) +
                           (end.reason.empty() ? "" : ": " + end.reason) +
                           (end.sipStatus ? " [SIP " + std::to_string(end.sipStatus) + "]" : "");
        if (!call.reported) {
            logger().debug(line);  // refused before the owner saw it; logged then
            return;
        }
        logger().information(line);
        listener.onCallEnded(call.id, end);
    }

    // Forgets a call whose dialog is over (or given up): its timer, handle and state.
    void release(CallId id) {
        auto it = calls.find(id);
        if (it == calls.end()) return;
        Call& call = *it->second;
        if (call.timer) su_timer_destroy(call.timer);
        if (call.handle) {
            callByHandle.erase(call.handle);
            nua_handle_destroy(call.handle);
        }
        calls.erase(it);
    }

    static void onCallTimer(su_root_magic_t* magic, su_timer_t* timer, su_timer_arg_t* arg) {
        (void)timer;
        auto* core = static_cast<Core*>(magic);
        auto* call = static_cast<Call*>(arg);
        TimerPurpose purpose = call->timerPurpose;
        call->timerPurpose = TimerPurpose::kNone;
        switch (purpose) {
            case TimerPurpose::kNoAnswer:
                core->noAnswerTimeout(*call);
                break;
            case TimerPurpose::kAnswer:
                core->answerNow(*call);
                break;
            case TimerPurpose::kGiveUp:
                core->giveUp(*call);
                break;
            case TimerPurpose::kNone:
                break;
        }
    }

    void respondWithSdp(nua_handle_t* handle, int status, const char* phrase,
                        const std::string& sdp, bool thisRequest) {
        nua_respond(handle, status, phrase, SIPTAG_CONTENT_TYPE_STR(kSdpType),
                    SIPTAG_PAYLOAD_STR(sdp.c_str()), TAG_IF(thisRequest, NUTAG_WITH_THIS(nua)),
                    TAG_END());
    }

    void refuseOffer(nua_handle_t* handle, const std::string& why, bool thisRequest) {
        std::string text;
        for (char c : why) {
            if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = '\'';
            text += c;
        }
        std::string warning = "399 faxgate \"" + text + "\"";
        nua_respond(handle, 488, sip_status_phrase(488), SIPTAG_WARNING_STR(warning.c_str()),
                    TAG_IF(thisRequest, NUTAG_WITH_THIS(nua)), TAG_END());
    }

    void count(uint64_t SipAgentStats::*field) {
        std::lock_guard<std::mutex> lock(statusMutex);
        ++(counters.*field);
    }

    // ---- NUA events ---------------------------------------------------------------------

    static void onEvent(nua_event_t event, int status, char const* phrase, nua_t* nua,
                        nua_magic_t* magic, nua_handle_t* nh, nua_hmagic_t* hmagic,
                        sip_t const* sip, tagi_t tags[]) {
        (void)nua;
        (void)hmagic;  // calls are found by handle (callOf)
        static_cast<Core*>(magic)->dispatch(event, status, textOf(phrase), nh, sip, tags);
    }

    void dispatch(nua_event_t event, int status, const std::string& phrase, nua_handle_t* nh,
                  sip_t const* sip, tagi_t tags[]) {
        switch (event) {
            case nua_r_get_params: {
                sip_contact_t const* contact = nullptr;
                tl_gets(tags, NTATAG_CONTACT_REF(contact), TAG_END());
                if (contact && contact->m_url->url_port) {
                    port = static_cast<uint16_t>(std::atoi(contact->m_url->url_port));
                }
                return;
            }
            case nua_r_shutdown:
                if (status >= 200) shutdownDone = true;
                return;
            case nua_r_register:
            case nua_r_unregister:
                if (nh == registerHandle) onRegisterResponse(event, status, phrase, sip);
                return;
            default:
                break;
        }

        Call* call = callOf(nh);
        if (event == nua_i_invite && !call) {
            onIncomingInvite(nh, sip);
            return;
        }
        if (!call) {
            // Requests outside our calls (OPTIONS is answered by the stack; others refused)
            // leave a handle behind that nobody else will free.
            if (nua_event_is_incoming_request(event) && nh) {
                if (status < 200) {
                    nua_respond(nh, 405, sip_status_phrase(405), NUTAG_WITH_THIS(nua), TAG_END());
                }
                nua_handle_destroy(nh);
            }
            return;
        }
        switch (event) {
            case nua_r_invite:
                onInviteResponse(*call, status, phrase, sip);
                break;
            case nua_i_invite:
                onMidCallOffer(*call, sip, true);
                break;
            case nua_i_update:
                onMidCallOffer(*call, sip, false);
                break;
            case nua_i_ack:
                onAck(*call, sip);
                break;
            case nua_i_cancel:
                finish(*call, CallEnd{CallEndCause::kRemoteHangUp, false, 487,
                                      sip_status_phrase(487), "", "the caller hung up (CANCEL)"});
                break;
            case nua_i_bye:
                finish(*call, CallEnd{CallEndCause::kRemoteHangUp, call->established, 0, "", "",
                                      "the far end hung up (BYE)"});
                break;
            case nua_i_state: {
                int state = nua_callstate_init;
                tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
                if (state == nua_callstate_terminated) onTerminated(*call, status, phrase);
                break;
            }
            case nua_i_error:
            case nua_i_media_error:
                logger().warning(callName(call->id) + ": " + std::to_string(status) + " " + phrase);
                break;
            default:
                break;
        }
    }

    void onTerminated(Call& call, int status, const std::string& phrase) {
        if (!call.ended) {
            // Ended by the stack: no ACK to our 200, a session timer that ran out, a re-INVITE
            // failure that kills the dialog, a BYE sofia sent itself.
            CallEnd end;
            end.cause = CallEndCause::kFailed;
            end.answered = call.established;
            end.sipStatus = status;
            end.sipPhrase = phrase;
            end.reason = "the call ended: " + std::to_string(status) + " " + phrase;
            if (call.direction == Direction::kOutbound && !call.established) {
                CallOutcome outcome = classifyFailedInvite(status, phrase);
                end.result = outcome.result;
                end.reason = outcome.reason;
            }
            finish(call, end);
        }
        release(call.id);
    }

    // ---- outbound calls -----------------------------------------------------------------

    void startDial(CallId id, const DialRequest& request, const std::string& user) {
        auto owned = std::make_unique<Call>();
        Call& call = *owned;
        call.id = id;
        call.direction = Direction::kOutbound;
        call.reported = true;
        call.local = request.audio;
        call.origin.sessionId = randomSessionId();
        calls.emplace(id, std::move(owned));
        if (stopping) {
            finish(call, CallEnd{CallEndCause::kLocalHangUp, false, 0, "", "cancelled",
                                 "the SIP agent stopped"});
            release(id);
            return;
        }

        std::string to = "<sip:" + user + "@" + options.peer + ">";
        std::string target = "sip:" + user + "@" + options.peer;
        if (options.tcp) target += ";transport=tcp";
        std::string fromUser = request.callerNumber.empty()
                                   ? options.user
                                   : userPartOf(request.callerNumber).value_or(options.user);
        std::string from = quotedDisplay(options.displayName) + "<sip:" + fromUser + "@" +
                           hostForUri(options.domain) + ">";
        attachHandle(call,
                     nua_handle(nua, nullptr, NUTAG_URL(target.c_str()), SIPTAG_TO_STR(to.c_str()),
                                SIPTAG_FROM_STR(from.c_str()), TAG_END()));
        if (!call.handle) {
            finish(call, CallEnd{CallEndCause::kFailed, false, 0, "", "no_carrier",
                                 "the call could not be placed: bad target " + target});
            release(id);
            return;
        }
        SessionDescription offer = makeAudioOffer(call.local, call.origin);
        call.localSdp = formatSdp(offer);
        call.inviteOffer = offer;
        nua_invite(call.handle, SIPTAG_CONTENT_TYPE_STR(kSdpType),
                   SIPTAG_PAYLOAD_STR(call.localSdp.c_str()), TAG_END());
        setTimer(call, TimerPurpose::kNoAnswer, options.noAnswerTimeoutMs);
        count(&SipAgentStats::callsPlaced);
        logger().information(callName(id) + ": INVITE " + target);
    }

    bool authenticate(nua_handle_t* handle, sip_t const* sip, int& tries) {
        if (options.authPassword.empty() || tries >= kMaxAuthTries || !sip) return false;
        msg_auth_t const* challenge =
            sip->sip_www_authenticate ? sip->sip_www_authenticate : sip->sip_proxy_authenticate;
        if (!challenge || !challenge->au_scheme) return false;
        char const* realm = msg_params_find(challenge->au_params, "realm=");
        if (!realm) return false;
        char const* stale = msg_params_find(challenge->au_params, "stale=");
        if (tries > 0 && !(stale && strcasecmp(stale, "true") == 0)) return false;
        ++tries;
        std::string credentials = std::string(challenge->au_scheme) + ":" + realm + ":" +
                                  options.authUser + ":" + options.authPassword;
        nua_authenticate(handle, NUTAG_AUTH(credentials.c_str()), TAG_END());
        return true;
    }

    void onInviteResponse(Call& call, int status, const std::string& phrase, sip_t const* sip) {
        if (status == 401 || status == 407) {
            if (!call.ended && authenticate(call.handle, sip, call.authTries)) return;
            if (call.established) {  // a re-INVITE we could not authenticate: media stays
                logger().warning(callName(call.id) +
                                 ": re-INVITE refused: " + std::to_string(status) + " " + phrase);
                return;
            }
            CallEnd end{CallEndCause::kFailed,
                        call.established,
                        status,
                        phrase,
                        "",
                        "the call needs credentials we do not have or that were refused (" +
                            std::to_string(status) + " " + phrase + ")"};
            if (!call.established) end.result = "no_carrier";
            finish(call, end);
            release(call.id);
            return;
        }
        if (status < 200) {
            if (status >= 180 && !call.ringing && !call.established && !call.ended) {
                call.ringing = true;
                listener.onRinging(call.id);
            }
            return;
        }
        if (status < 300) {
            onInviteAnswered(call, sip);
            return;
        }
        // A failed re-INVITE: the stack decides whether the dialog survives (nua_i_state).
        if (call.established) {
            logger().information(callName(call.id) +
                                 ": re-INVITE refused: " + std::to_string(status) + " " + phrase);
            return;
        }
        CallEnd end;
        end.answered = false;
        end.sipStatus = status;
        end.sipPhrase = phrase;
        CallOutcome outcome;
        if (call.noAnswerFired) {
            outcome = noAnswerOutcome(options.noAnswerTimeoutMs);
            end.cause = CallEndCause::kFailed;
        } else if (call.cancelRequested) {
            outcome = cancelledOutcome();
            end.cause = CallEndCause::kLocalHangUp;
        } else {
            outcome = classifyFailedInvite(status, phrase);
            end.cause = CallEndCause::kFailed;
        }
        end.result = outcome.result;
        end.reason = outcome.reason;
        finish(call, end);
    }

    void onInviteAnswered(Call& call, sip_t const* sip) {
        std::string body = payloadOf(sip);
        if (call.established && call.ended) return;  // we hung up; the BYE is on its way
        if (!call.established && (call.ended || call.cancelRequested || call.noAnswerFired)) {
            // Answered after we gave up on it: hang up at once.
            nua_bye(call.handle, TAG_END());
            if (!call.ended) {
                CallOutcome outcome = call.noAnswerFired
                                          ? noAnswerOutcome(options.noAnswerTimeoutMs)
                                          : cancelledOutcome();
                finish(call, CallEnd{call.noAnswerFired ? CallEndCause::kFailed
                                                        : CallEndCause::kLocalHangUp,
                                     false, 200, "OK", outcome.result,
                                     outcome.reason + "; answered too late, hung up"});
            }
            return;
        }
        if (!call.inviteOffer) return;
        std::string error;
        std::optional<NegotiatedAudio> audio;
        if (body.empty()) {
            error = "the far end answered without SDP";
        } else if (body == call.remoteSdp) {
            audio = call.audio;  // the same answer again (a session refresh)
        } else {
            SdpParseResult parsed = parseSdp(body, options.sdpLimits);
            if (!parsed.ok()) {
                error = "the far end's SDP answer is malformed: " + parsed.error;
            } else {
                SdpAnswerReading reading = readAnswer(*call.inviteOffer, *parsed.session);
                if (reading.ok()) {
                    audio = reading.audio;
                } else {
                    error = "the far end's SDP answer is unusable: " + reading.error;
                }
            }
        }
        if (!audio && call.established) {
            // A bad answer to a re-INVITE (a refresh, or our updateMedia): the media in force
            // stays and the call goes on.
            logger().warning(callName(call.id) + ": " + error + "; keeping the media in force");
            return;
        }
        if (!audio) {
            nua_bye(call.handle, TAG_END());
            finish(call, CallEnd{CallEndCause::kFailed, false, 200, "OK", "no_carrier", error});
            return;
        }
        call.remoteSdp = body;
        if (!call.established) {
            call.established = true;
            resetTimer(call);
            call.audio = *audio;
            logger().information(callName(call.id) + " answered: " + describe(*audio));
            listener.onEstablished(call.id, *audio);
            return;
        }
        noteMedia(call, *audio);
    }

    void noAnswerTimeout(Call& call) {
        if (call.established || call.ended) return;
        call.noAnswerFired = true;
        nua_cancel(call.handle, TAG_END());
        CallOutcome outcome = noAnswerOutcome(options.noAnswerTimeoutMs);
        call.giveUpEnd =
            CallEnd{CallEndCause::kFailed, false, 0, "", outcome.result, outcome.reason};
        setTimer(call, TimerPurpose::kGiveUp, options.hangUpGraceMs);
    }

    // A CANCEL that got no final response in time: report what was meant and drop the
    // dialog (destroying the handle ends sofia's transaction).
    void giveUp(Call& call) {
        if (!call.ended && call.giveUpEnd) finish(call, *call.giveUpEnd);
        release(call.id);
    }

    // ---- inbound calls ------------------------------------------------------------------

    void onIncomingInvite(nua_handle_t* nh, sip_t const* sip) {
        if (stopping || !sip) {
            nua_respond(nh, 503, sip_status_phrase(503), NUTAG_WITH_THIS(nua), TAG_END());
            nua_handle_destroy(nh);
            return;
        }
        Call& call = newCall(Direction::kInbound);
        attachHandle(call, nh);
        std::string body = payloadOf(sip);
        std::string why;
        std::optional<SessionDescription> offer;
        if (body.empty()) {
            why = "an SDP offer in the INVITE is required";
        } else {
            SdpParseResult parsed = parseSdp(body, options.sdpLimits);
            if (!parsed.ok()) {
                why = parsed.error;
            } else {
                LocalAudio probe;  // any address/port: only the codecs matter here
                probe.address = "127.0.0.1";
                probe.rtpPort = 9;
                SdpAnswer trial = answerOffer(*parsed.session, probe, call.origin);
                if (trial.ok()) {
                    offer = std::move(parsed.session);
                } else {
                    why = trial.error;
                }
            }
        }
        IncomingCall incoming;
        if (sip->sip_call_id && sip->sip_call_id->i_id) incoming.sipCallId = sip->sip_call_id->i_id;
        if (!offer) {
            logger().information("SIP INVITE " + incoming.sipCallId + " refused: " + why);
            refuseOffer(nh, why, true);
            count(&SipAgentStats::callsRefusedEarly);
            return;  // the stack terminates the handle; onTerminated() releases it
        }
        sip_p_asserted_identity_t const* asserted = sip_p_asserted_identity(sip);
        if (asserted && asserted->paid_url->url_user) {
            incoming.callerNumber = asserted->paid_url->url_user;
            incoming.callerDisplay = textOf(asserted->paid_display);
        } else if (sip->sip_from) {
            incoming.callerNumber = textOf(sip->sip_from->a_url->url_user);
            incoming.callerDisplay = textOf(sip->sip_from->a_display);
        }
        if (sip->sip_request && sip->sip_request->rq_url->url_user) {
            incoming.calledNumber = sip->sip_request->rq_url->url_user;
        } else if (sip->sip_to) {
            incoming.calledNumber = textOf(sip->sip_to->a_url->url_user);
        }
        incoming.offer = *offer;
        call.remoteOffer = std::move(offer);
        call.remoteSdp = body;
        call.reported = true;
        count(&SipAgentStats::callsReceived);
        logger().information(callName(call.id) + ": INVITE from '" + incoming.callerNumber +
                             "' to '" + incoming.calledNumber + "' (" + incoming.sipCallId + ")");
        listener.onIncomingCall(call.id, incoming);
    }

    void doAccept(CallId id, int rings, const LocalAudio& audio) {
        Call* call = findCall(id);
        if (!call || call->direction != Direction::kInbound || call->ended || call->accepted)
            return;
        call->accepted = true;
        call->local = audio;
        if (rings <= 0) {
            answerNow(*call);
            return;
        }
        nua_respond(call->handle, 180, sip_status_phrase(180), TAG_END());
        setTimer(*call, TimerPurpose::kAnswer, rings * options.ringIntervalMs);
    }

    void answerNow(Call& call) {
        if (call.ended || call.answerSent || !call.remoteOffer) return;
        SdpAnswer answer = answerOffer(*call.remoteOffer, call.local, call.origin);
        if (!answer.ok()) {
            refuseOffer(call.handle, answer.error, false);
            finish(call, CallEnd{CallEndCause::kFailed, false, 488, sip_status_phrase(488), "",
                                 "could not answer the offer: " + answer.error});
            return;
        }
        call.localSdp = formatSdp(*answer.answer);
        respondWithSdp(call.handle, 200, sip_status_phrase(200), call.localSdp, false);
        call.answerSent = true;
        call.established = true;
        call.audio = answer.audio;
        logger().information(callName(call.id) + " answered: " + describe(answer.audio));
        listener.onEstablished(call.id, answer.audio);
    }

    void doRefuse(CallId id, int status) {
        Call* call = findCall(id);
        if (!call || call->direction != Direction::kInbound || call->ended || call->answerSent)
            return;
        if (status < 400 || status > 699) status = 486;
        nua_respond(call->handle, status, sip_status_phrase(status), TAG_END());
        finish(*call,
               CallEnd{CallEndCause::kLocalHangUp, false, status, textOf(sip_status_phrase(status)),
                       "", "refused with " + std::to_string(status)});
    }

    void doHangUp(CallId id) {
        Call* call = findCall(id);
        if (!call || call->ended) return;
        if (call->established) {
            nua_bye(call->handle, TAG_END());
            finish(*call, CallEnd{CallEndCause::kLocalHangUp, true, 0, "", "", "we hung up (BYE)"});
            return;
        }
        if (call->direction == Direction::kInbound) {
            nua_respond(call->handle, 480, sip_status_phrase(480), TAG_END());
            finish(*call, CallEnd{CallEndCause::kLocalHangUp, false, 480, sip_status_phrase(480),
                                  "", "we hung up before answering (480)"});
            return;
        }
        if (call->cancelRequested || call->noAnswerFired) return;
        call->cancelRequested = true;
        nua_cancel(call->handle, TAG_END());
        CallOutcome outcome = cancelledOutcome();
        call->giveUpEnd =
            CallEnd{CallEndCause::kLocalHangUp, false, 0, "", outcome.result, outcome.reason};
        setTimer(*call, TimerPurpose::kGiveUp, options.hangUpGraceMs);
    }

    // ---- mid-call offers ----------------------------------------------------------------

    // A re-INVITE (`invite`) or UPDATE on an established call. Whatever happens here, the
    // call goes on: an unusable offer gets 488 and the media in force stays.
    void onMidCallOffer(Call& call, sip_t const* sip, bool invite) {
        if (!call.established || call.ended) {
            nua_respond(call.handle, 491, sip_status_phrase(491), NUTAG_WITH_THIS(nua), TAG_END());
            return;
        }
        std::string body = payloadOf(sip);
        if (body.empty()) {
            if (invite) {
                // An offerless re-INVITE: our current SDP is the offer, the answer comes in ACK.
                call.awaitingAckAnswer = true;
                auto parsed = parseSdp(call.localSdp, options.sdpLimits);
                if (parsed.ok()) call.ackOffer = parsed.session;
                respondWithSdp(call.handle, 200, sip_status_phrase(200), call.localSdp, true);
            } else {
                nua_respond(call.handle, 200, sip_status_phrase(200), NUTAG_WITH_THIS(nua),
                            TAG_END());
            }
            count(&SipAgentStats::refreshes);
            return;
        }
        if (body == call.remoteSdp) {
            respondWithSdp(call.handle, 200, sip_status_phrase(200), call.localSdp, true);
            count(&SipAgentStats::refreshes);
            return;
        }
        SdpParseResult parsed = parseSdp(body, options.sdpLimits);
        if (!parsed.ok()) {
            refuseOffer(call.handle, parsed.error, true);
            count(&SipAgentStats::offersRefused);
            return;
        }
        SdpAnswer answer = answerOffer(*parsed.session, call.local, call.origin);
        if (!answer.ok()) {
            refuseOffer(call.handle, answer.error, true);
            count(&SipAgentStats::offersRefused);
            return;
        }
        std::string text = formatSdp(*answer.answer);
        if (text != call.localSdp) {
            ++call.origin.version;  // RFC 3264 section 8: a changed description, a new version
            answer = answerOffer(*parsed.session, call.local, call.origin);
            text = formatSdp(*answer.answer);
        }
        respondWithSdp(call.handle, 200, sip_status_phrase(200), text, true);
        call.localSdp = text;
        call.remoteSdp = body;
        noteMedia(call, answer.audio);
    }

    void onAck(Call& call, sip_t const* sip) {
        if (!call.awaitingAckAnswer) return;
        call.awaitingAckAnswer = false;
        std::string body = payloadOf(sip);
        if (body.empty() || !call.ackOffer || body == call.remoteSdp) {
            call.ackOffer.reset();
            return;
        }
        SdpParseResult parsed = parseSdp(body, options.sdpLimits);
        if (parsed.ok()) {
            SdpAnswerReading reading = readAnswer(*call.ackOffer, *parsed.session);
            if (reading.ok()) {
                call.remoteSdp = body;
                noteMedia(call, *reading.audio);
            } else {
                logger().warning(callName(call.id) + ": answer in ACK unusable: " + reading.error);
            }
        }
        call.ackOffer.reset();
    }

    void noteMedia(Call& call, const NegotiatedAudio& audio) {
        if (sameAudio(audio, call.audio)) {
            count(&SipAgentStats::refreshes);
            return;
        }
        call.audio = audio;
        count(&SipAgentStats::mediaChanges);
        logger().information(callName(call.id) + ": media now " + describe(audio));
        listener.onMediaChanged(call.id, audio);
    }

    void doUpdateMedia(CallId id, const LocalAudio& audio) {
        Call* call = findCall(id);
        if (!call || !call->established || call->ended) return;
        call->local = audio;
        ++call->origin.version;
        SessionDescription offer = makeAudioOffer(audio, call->origin);
        call->localSdp = formatSdp(offer);
        call->inviteOffer = offer;
        nua_invite(call->handle, SIPTAG_CONTENT_TYPE_STR(kSdpType),
                   SIPTAG_PAYLOAD_STR(call->localSdp.c_str()), TAG_END());
    }

    // ---- registration -------------------------------------------------------------------

    void setRegistration(RegistrationState state, int status, std::string reason, int expiresS) {
        RegistrationStatus snapshot;
        {
            std::lock_guard<std::mutex> lock(statusMutex);
            registrationStatus.state = state;
            registrationStatus.sipStatus = status;
            registrationStatus.reason = std::move(reason);
            registrationStatus.expiresS = expiresS;
            snapshot = registrationStatus;
        }
        listener.onRegistration(snapshot);
    }

    RegistrationStatus registration() const {
        std::lock_guard<std::mutex> lock(statusMutex);
        return registrationStatus;
    }

    std::string addressOfRecord() const {
        return "<sip:" + options.user + "@" + hostForUri(options.domain) + ">";
    }

    void startRegistration() {
        if (stopping) return;
        if (!registerHandle) {
            std::string aor = addressOfRecord();
            registerHandle = nua_handle(nua, nullptr, SIPTAG_TO_STR(aor.c_str()),
                                        SIPTAG_FROM_STR(aor.c_str()), TAG_END());
        }
        registerAuthTries = 0;
        std::string expires = std::to_string(options.registerExpiresS);
        setRegistration(RegistrationState::kRegistering, 0, "REGISTER sent", 0);
        nua_register(registerHandle, NUTAG_REGISTRAR(URL_STRING_MAKE(options.registrar.c_str())),
                     NUTAG_M_USERNAME(options.user.c_str()), SIPTAG_EXPIRES_STR(expires.c_str()),
                     TAG_END());
    }

    static void onRegisterRetry(su_root_magic_t* magic, su_timer_t* timer, su_timer_arg_t* arg) {
        (void)timer;
        (void)arg;
        static_cast<Core*>(magic)->startRegistration();
    }

    void onRegisterResponse(nua_event_t event, int status, const std::string& phrase,
                            sip_t const* sip) {
        if (event == nua_r_unregister || stopping) return;
        if (status < 200) return;
        if (status == 401 || status == 407) {
            if (authenticate(registerHandle, sip, registerAuthTries)) return;
        }
        if (status < 300) {
            int expires = options.registerExpiresS;
            if (sip && sip->sip_contact) {
                for (sip_contact_t const* m = sip->sip_contact; m; m = m->m_next) {
                    if (m->m_expires) {
                        expires = std::atoi(m->m_expires);
                        break;
                    }
                }
            } else if (sip && sip->sip_expires) {
                expires = static_cast<int>(sip->sip_expires->ex_delta);
            }
            registerAuthTries = 0;
            logger().information("SIP registered with " + options.registrar + " for " +
                                 std::to_string(expires) + " s");
            setRegistration(RegistrationState::kRegistered, status, "registered", expires);
            return;
        }
        std::string reason = "the registrar answered " + std::to_string(status) + " " + phrase;
        if (status == 401 || status == 407) {
            reason = options.authPassword.empty()
                         ? "the registrar asks for credentials and none are configured"
                         : "the registrar refused our credentials (" + std::to_string(status) +
                               " " + phrase + ")";
        }
        logger().warning("SIP registration with " + options.registrar + " failed: " + reason +
                         "; next try in " + std::to_string(options.registerRetryS) + " s");
        setRegistration(RegistrationState::kFailed, status, reason, 0);
        if (!registerRetryTimer) registerRetryTimer = su_timer_create(su_root_task(root), 0);
        if (registerRetryTimer) {
            su_timer_set_interval(registerRetryTimer, &Core::onRegisterRetry, nullptr,
                                  std::max(options.registerRetryS, 1) * 1000);
        }
    }
};

// ---------------------------------------------------------------------------------------

SipAgent::SipAgent(SipAgentOptions options, SipAgentListener& listener)
    : core_(std::make_unique<Core>(std::move(options), listener)) {
    std::promise<std::string> started;
    std::future<std::string> result = started.get_future();
    core_->thread = std::thread([this, &started] { core_->run(started); });
    std::string error = result.get();
    if (!error.empty()) {
        core_->thread.join();
        throw std::runtime_error("SIP agent: " + error);
    }
    logger().information("SIP agent listening on " + core_->options.bindHost + ":" +
                         std::to_string(core_->port.load()) +
                         (core_->options.tcp ? " (UDP and TCP)" : " (UDP)"));
}

SipAgent::~SipAgent() { stop(); }

void SipAgent::stop() {
    std::lock_guard<std::mutex> lock(core_->stopMutex);
    if (core_->stopped) return;
    core_->stopped = true;
    Core* core = core_.get();
    core->post([core] { core->running = false; });
    {
        std::lock_guard<std::mutex> queueLock(core->queueMutex);
        core->acceptingTasks = false;
    }
    if (core->thread.joinable()) core->thread.join();
}

uint16_t SipAgent::boundPort() const { return core_->port.load(); }

CallId SipAgent::dial(const DialRequest& request) {
    std::optional<std::string> user = userPartOf(request.number);
    if (!user) return 0;
    CallId id = core_->nextCallId.fetch_add(1);
    Core* core = core_.get();
    if (!core->post([core, id, request, user = *user] { core->startDial(id, request, user); })) {
        return 0;
    }
    return id;
}

void SipAgent::accept(CallId call, int rings, const LocalAudio& audio) {
    Core* core = core_.get();
    core->post([core, call, rings, audio] { core->doAccept(call, rings, audio); });
}

void SipAgent::refuse(CallId call, int sipStatus) {
    Core* core = core_.get();
    core->post([core, call, sipStatus] { core->doRefuse(call, sipStatus); });
}

void SipAgent::hangUp(CallId call) {
    Core* core = core_.get();
    core->post([core, call] { core->doHangUp(call); });
}

void SipAgent::updateMedia(CallId call, const LocalAudio& audio) {
    Core* core = core_.get();
    core->post([core, call, audio] { core->doUpdateMedia(call, audio); });
}

RegistrationStatus SipAgent::registration() const {
    std::lock_guard<std::mutex> lock(core_->statusMutex);
    return core_->registrationStatus;
}

SipAgentStats SipAgent::stats() const {
    std::lock_guard<std::mutex> lock(core_->statusMutex);
    return core_->counters;
}

}  // namespace faxgate::node::sip
