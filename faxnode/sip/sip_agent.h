// The fax node's SIP user agent (sofia-sip NUA): one per node, on a thread of its own that
// runs sofia's event loop (su_root). It places calls (INVITE to sip:<number>@<peer>, directly
// or through an outbound proxy), answers or refuses the calls that come in, hangs up (BYE,
// or CANCEL before answer), answers re-INVITEs and UPDATEs mid-call so a session-timer
// refresh or a media change never ends a call, and keeps a registration with digest
// authentication fresh. SDP is ours (sdp.h): sofia's offer/answer engine is switched off
// (NUTAG_MEDIA_ENABLE(0)) so the agent decides what an offer gets and the RTP side gets a
// parsed NegotiatedAudio, not SDP text.
//
// Events reach the owner through a SipAgentListener, on the agent's thread: handlers must
// be quick and must not wait for the agent (calling its methods is fine: they only post).
// Every call the agent reports gets exactly one onCallEnded(), also when the agent stops.
//
// Invariant: a CallId names one call for the agent's life and is never reused; once its
// onCallEnded() has been delivered, methods given that ID do nothing.
//
// Threading: every sofia call happens on the agent's thread. The public methods may be
// called from any thread; they post a task to the agent (a mutex-guarded queue and an
// eventfd registered in the su_root) and return at once. The per-call state lives in one
// map owned by the agent's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "faxnode/sip/sdp.h"

namespace faxgate::node::sip {

// Configuration of one agent. The SIP line driver fills it from the node's configuration.
struct SipAgentOptions {
    std::string bindHost = "0.0.0.0";   // local address for SIP (an IP literal)
    uint16_t bindPort = 5060;           // 0: a free port (tests); see SipAgent::boundPort()
    bool tcp = false;                   // listen on TCP too (UDP always) and dial over TCP
    std::string user = "fax";           // our user part: From, Contact, address of record
    std::string displayName;            // display name in From; empty: none
    std::string domain;                 // host of our address of record; empty: bindHost
    std::string peer;                   // host[:port] of the request URI sip:<number>@<peer>;
                                        //   empty: `domain`
    std::string outboundProxy;          // SIP URI every request goes through; empty: none
    std::string registrar;              // SIP URI to REGISTER with; empty: no registration
    std::string authUser;               // digest user name; empty: `user`
    std::string authPassword;           // digest password; empty: challenges fail the request
    int registerExpiresS = 600;         // Expires we ask for; sofia refreshes before it ends
    int registerRetryS = 30;            // wait before registering again after a failure
    int noAnswerTimeoutMs = 60000;      // CANCEL an outbound call not answered by then
    int ringIntervalMs = 6000;          // one ring of an inbound call (accept(rings))
    int sessionExpiresS = 0;            // Session-Expires we ask for (RFC 4028); 0: none,
                                        //   but refreshes asked for by the far end are done
    int sessionMinSeS = 90;             // the shortest Session-Expires we accept (RFC 4028's
                                        //   floor is 90; tests go lower)
    int hangUpGraceMs = 4000;           // a CANCEL with no final response is given up after it
    int shutdownTimeoutMs = 3000;       // stop(): wait this long for BYEs/un-REGISTER
    SdpLimits sdpLimits;                // parser limits for every SDP body received
    std::string userAgent = "faxgate";  // User-Agent header
};

using CallId = uint64_t;  // never 0, never reused by one agent

// An inbound INVITE.
struct IncomingCall {
    std::string callerNumber;   // P-Asserted-Identity user, else From user; may be empty
    std::string callerDisplay;  // the display name that came with it
    std::string calledNumber;   // Request-URI user (the number dialled), else To user
    std::string sipCallId;      // the Call-ID header, for the logs
    SessionDescription offer;   // the caller's SDP offer
};

enum class CallEndCause {
    kLocalHangUp,   // our hangUp()/refuse(): BYE, CANCEL or a final response to an INVITE
    kRemoteHangUp,  // the far end's BYE, or its CANCEL before we answered
    kFailed,        // an outbound call that was not answered, or an error that ended a call
};

const char* toString(CallEndCause cause);

struct CallEnd {
    CallEndCause cause = CallEndCause::kFailed;
    bool answered = false;  // the call was established (200 OK sent or received)
    int sipStatus = 0;      // the SIP status that decided it (486, 487, 200 to BYE...); 0: none
    std::string sipPhrase;
    // For outbound calls that ended before answer: busy, no_answer, rejected, no_carrier or
    // cancelled (call_outcome.h). Empty for answered or inbound calls.
    std::string result;
    std::string reason;  // plain words for logs and records
};

enum class RegistrationState { kNone, kRegistering, kRegistered, kFailed };

const char* toString(RegistrationState state);

struct RegistrationStatus {
    RegistrationState state = RegistrationState::kNone;
    int sipStatus = 0;   // the last final response to REGISTER
    std::string reason;  // plain words
    int expiresS = 0;    // as granted by the registrar, when registered
};

class SipAgentListener {
  public:
    virtual ~SipAgentListener() = default;
    // An INVITE came in and its offer holds audio we can take. Answer with accept() or
    // refuse(); until then the caller hears nothing (a 100 Trying was sent).
    virtual void onIncomingCall(CallId call, const IncomingCall& incoming) = 0;
    // Our outbound call rings at the far end (first 180/183).
    virtual void onRinging(CallId call) { (void)call; }
    // The call is up: outbound when the 200 OK came (ACK sent), inbound when our 200 OK
    // went out. `audio` is what the offer/answer agreed on.
    virtual void onEstablished(CallId call, const NegotiatedAudio& audio) = 0;
    // A re-INVITE or UPDATE changed the media (address, port, codec, direction); it has
    // been answered and the call goes on. A refresh without a change gives no event.
    virtual void onMediaChanged(CallId call, const NegotiatedAudio& audio) {
        (void)call;
        (void)audio;
    }
    // The call is over; nothing more comes for it.
    virtual void onCallEnded(CallId call, const CallEnd& end) = 0;
    virtual void onRegistration(const RegistrationStatus& status) { (void)status; }
};

// Counters for logs and tests.
struct SipAgentStats {
    uint64_t callsPlaced = 0;        // INVITEs sent by dial()
    uint64_t callsReceived = 0;      // inbound INVITEs reported to the listener
    uint64_t callsRefusedEarly = 0;  // inbound INVITEs refused before the listener saw them
                                     //   (no or unusable SDP offer)
    uint64_t mediaChanges = 0;       // re-INVITE/UPDATE offers or answers that changed media
    uint64_t refreshes = 0;          // re-INVITE/UPDATE offers answered with no change
    uint64_t offersRefused = 0;      // mid-call offers answered 488 (the call went on)
};

// What an outbound call dials.
struct DialRequest {
    std::string number;        // user part of the request URI: digits, '+', '*', '#'
    std::string callerNumber;  // user part of From; empty: options.user
    LocalAudio audio;          // our RTP address/port and codecs for the offer
};

class SipAgent {
  public:
    // Binds the SIP socket(s) and starts the agent's thread; the registration (if any)
    // starts at once. Throws std::runtime_error naming the address when sofia cannot bind.
    // `listener` must outlive the agent.
    SipAgent(SipAgentOptions options, SipAgentListener& listener);
    ~SipAgent();  // stop()
    SipAgent(const SipAgent&) = delete;
    SipAgent& operator=(const SipAgent&) = delete;

    // Hangs up every call, un-registers (both bounded by shutdownTimeoutMs), reports the
    // calls' ends and joins the thread. Idempotent; no event comes after it returns. Not
    // from a listener callback (it waits for the agent's thread).
    void stop();

    // The port SIP listens on (the bound one when options.bindPort was 0).
    uint16_t boundPort() const;

    // Places a call. Returns its ID at once (0 when the agent is stopping or the number is
    // not a dialable string); the INVITE goes out on the agent's thread.
    CallId dial(const DialRequest& request);

    // Answers an inbound call: 180 Ringing now, 200 OK with our SDP answer after `rings` rings
    // (rings * ringIntervalMs; 0: at once).
    void accept(CallId call, int rings, const LocalAudio& audio);
    // Refuses an inbound call not answered yet with `sipStatus` (4xx-6xx, e.g. 486 busy).
    void refuse(CallId call, int sipStatus = 486);
    // Ends a call in whatever state it is: BYE once answered, CANCEL for an outbound call
    // still ringing, 480 for an inbound call not answered yet. Unknown IDs are ignored.
    void hangUp(CallId call);

    // Offers new media on an established call with a re-INVITE (e.g. another RTP port);
    // the far end's answer arrives as onMediaChanged(). Ignored for calls not established.
    void updateMedia(CallId call, const LocalAudio& audio);

    // The registration's state (kNone without a registrar).
    RegistrationStatus registration() const;
    SipAgentStats stats() const;

  private:
    struct Core;
    std::unique_ptr<Core> core_;
};

}  // namespace faxgate::node::sip
