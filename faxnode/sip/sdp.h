// SDP (RFC 4566) for the SIP line's offer/answer (RFC 3264): our own small model of a session
// description, a strict and bounded parser for what the far end sends, the text we send,
// and the audio negotiation a fax call needs (PCMU 0 / PCMA 8 at 20 ms, telephone-event
// optional). The SIP agent (sip_agent.h) carries these texts in INVITE/200/ACK/UPDATE
// bodies; the RTP side reads the outcome as a NegotiatedAudio (remote address, port,
// payload type), never the SDP text.
//
// Model: a session is its origin, connection and attributes plus a list of media sections;
// a media section keeps its kind, port, protocol, formats and attributes as written, so a
// second kind of media (image/udptl/t38 for T.38, issue 6) is read by the same parser and
// needs only its own negotiation function beside the audio one.
//
// The parser takes the body of a SIP message from the network and is meant to be fuzzed:
// every limit (bytes, lines, line length, media sections, formats, attributes) is checked
// before the data is stored, malformed input gives an error naming the line, never an
// exception or an unbounded allocation. It is strict about what faxgate uses (v/o/s lines,
// connection addresses, ports, payload types) and ignores line types it does not use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faxgate::node::sip {

// Limits of the parser; the defaults hold any real fax or voice offer several times over.
struct SdpLimits {
    std::size_t maxBytes = 8192;     // whole body
    std::size_t maxLines = 200;      // lines of any type
    std::size_t maxLineBytes = 512;  // one line without its CRLF
    std::size_t maxMedia = 8;        // m= sections
    std::size_t maxFormats = 32;     // formats on one m= line
    std::size_t maxAttributes = 64;  // a= lines per level (session or one media section)
};

// "IN IP4 192.0.2.1" / "IN IP6 ::1": a unicast address, checked with inet_pton.
struct SdpConnection {
    bool ipv6 = false;
    std::string address;
};

// a=<name>[:<value>]
struct SdpAttribute {
    std::string name;
    std::string value;  // empty for property attributes (a=sendrecv)
};

enum class MediaDirection { kSendRecv, kSendOnly, kRecvOnly, kInactive };

const char* toString(MediaDirection direction);

// One m= section as written.
struct SdpMedia {
    std::string kind;                         // "audio", "image", ... (lower case as on the wire)
    uint16_t port = 0;                        // 0: the stream is rejected / disabled
    int portCount = 1;                        // m=audio 4000/2 ... (we only ever use 1)
    std::string protocol;                     // "RTP/AVP", "udptl", ...
    std::vector<std::string> formats;         // payload type numbers for RTP, "t38" for udptl
    std::optional<SdpConnection> connection;  // media-level c=; nullopt: the session's
    std::vector<SdpAttribute> attributes;

    // The value of the first attribute named `name`; nullopt when absent.
    std::optional<std::string> attribute(std::string_view name) const;
};

// A whole session description. Origin fields are kept as text: session ID and version are
// digit strings of any length (RFC 4566 allows more than 64 bits).
struct SessionDescription {
    std::string originUser = "-";
    std::string sessionId;
    std::string sessionVersion;
    SdpConnection originAddress;
    std::string sessionName = "-";
    std::optional<SdpConnection> connection;  // session-level c=
    std::vector<SdpAttribute> attributes;     // session-level a=
    std::vector<SdpMedia> media;

    // The connection that applies to media section `index`: its own, else the session's.
    std::optional<SdpConnection> connectionFor(std::size_t index) const;
    // The direction of media section `index`: its own attribute, else the session's,
    // else sendrecv.
    MediaDirection directionOf(std::size_t index) const;
};

struct SdpParseResult {
    std::optional<SessionDescription> session;  // set when the text was valid
    std::string error;                          // why not, naming the line
    bool ok() const { return session.has_value(); }
};

SdpParseResult parseSdp(std::string_view text, const SdpLimits& limits = {});

// The text of a session description: CRLF line ends, lines in RFC 4566 order.
std::string formatSdp(const SessionDescription& session);

// ---------------------------------------------------------------------------------------
// Audio offer/answer for fax over G.711.

enum class AudioCodec { kPcmu, kPcma };  // static payload types 0 and 8, 8000 Hz

int payloadTypeOf(AudioCodec codec);
const char* encodingNameOf(AudioCodec codec);  // "PCMU" / "PCMA"

// Our side of the audio stream: what we offer or accept.
struct LocalAudio {
    std::string address;   // our RTP address for c= (IPv4 or IPv6 literal)
    uint16_t rtpPort = 0;  // our RTP port (even)
    std::vector<AudioCodec> codecs = {AudioCodec::kPcma, AudioCodec::kPcmu};  // preference
    bool telephoneEvent = false;          // offer/accept RFC 4733 events (we ignore them)
    int telephoneEventPayloadType = 101;  // the dynamic type we offer for them
    int ptimeMs = 20;                     // packetisation we send and want to receive
};

// The origin line of our descriptions: one session ID per call, the version raised each
// time the description changes (RFC 3264 section 8).
struct SdpOrigin {
    std::string user = "faxgate";
    uint64_t sessionId = 0;
    uint64_t version = 1;
};

// What one audio offer/answer exchange agreed on, for the RTP side.
struct NegotiatedAudio {
    std::string remoteAddress;  // where to send RTP (an IP literal)
    bool remoteIpv6 = false;
    uint16_t remotePort = 0;
    AudioCodec codec = AudioCodec::kPcma;
    int payloadType = 8;
    std::optional<int> telephoneEventPayloadType;  // when both sides agreed to events
    int remotePtimeMs = 20;                        // the far end's a=ptime (20 when it gave none)
    MediaDirection direction = MediaDirection::kSendRecv;  // from our side's point of view
    std::size_t mediaIndex = 0;                            // which m= section carries the audio
};

// An offer of one audio stream with `local.codecs` (and telephone-event when asked).
SessionDescription makeAudioOffer(const LocalAudio& local, const SdpOrigin& origin);

struct SdpAnswer {
    std::optional<SessionDescription> answer;  // set on success
    NegotiatedAudio audio;                     // meaningful on success
    std::string error;  // why no answer is possible (the agent replies 488 with it)
    bool ok() const { return answer.has_value(); }
};

// Answers an offer (RFC 3264 section 6): the first audio stream that is RTP/AVP, has a usable
// connection and contains one of `local.codecs` is accepted with exactly one codec (the first
// of the offer's order we support, so the far end never switches codecs mid-call); every
// other stream is rejected with port 0, in the offer's order.
SdpAnswer answerOffer(const SessionDescription& offer, const LocalAudio& local,
                      const SdpOrigin& origin);

struct SdpAnswerReading {
    std::optional<NegotiatedAudio> audio;  // set on success
    std::string error;
    bool ok() const { return audio.has_value(); }
};

// Reads the far end's answer to `offer` (one we made with makeAudioOffer): the audio stream
// must be accepted (port != 0) with a codec we offered.
SdpAnswerReading readAnswer(const SessionDescription& offer, const SessionDescription& answer);

}  // namespace faxgate::node::sip
