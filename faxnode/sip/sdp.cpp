// SDP parsing, formatting and the audio offer/answer (see sdp.h). The parser walks the text
// once, line by line, and checks each limit before it stores anything.
#include "faxnode/sip/sdp.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace faxgate::node::sip {

namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string toLower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Splits on spaces; several spaces in a row count as one.
std::vector<std::string_view> splitFields(std::string_view text, std::size_t maxFields) {
    std::vector<std::string_view> fields;
    std::size_t pos = 0;
    while (pos < text.size() && fields.size() <= maxFields) {
        while (pos < text.size() && text[pos] == ' ') ++pos;
        if (pos == text.size()) break;
        std::size_t end = text.find(' ', pos);
        if (end == std::string_view::npos) end = text.size();
        fields.push_back(text.substr(pos, end - pos));
        pos = end;
    }
    return fields;
}

bool isDigits(std::string_view text, std::size_t maxDigits) {
    return !text.empty() && text.size() <= maxDigits &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

template <typename Int>
std::optional<Int> parseNumber(std::string_view text, Int max) {
    if (!isDigits(text, 10)) return std::nullopt;
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() ||
        value > static_cast<uint64_t>(max)) {
        return std::nullopt;
    }
    return static_cast<Int>(value);
}

// RFC 4566 token characters (media types, protocols' parts, attribute names).
bool isToken(std::string_view text) {
    static constexpr std::string_view kExtra = "!#$%&'*+-.^_`{|}~";
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || kExtra.find(c) != kExtra.npos;
    });
}

bool isProtocol(std::string_view text) {  // token ["/" token]*
    if (text.empty() || text.front() == '/' || text.back() == '/') return false;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t end = text.find('/', pos);
        if (end == std::string_view::npos) end = text.size();
        if (!isToken(text.substr(pos, end - pos))) return false;
        pos = end + 1;
    }
    return true;
}

bool isRtpProtocol(std::string_view protocol) {
    return protocol.size() >= 4 && equalsIgnoreCase(protocol.substr(0, 4), "RTP/");
}

bool isValidAddress(bool ipv6, const std::string& address) {
    unsigned char buffer[16];
    return inet_pton(ipv6 ? AF_INET6 : AF_INET, address.c_str(), buffer) == 1;
}

bool isUnspecifiedAddress(const SdpConnection& connection) {
    return connection.address == "0.0.0.0" || connection.address == "::";
}

// "IN IP4 <address>" / "IN IP6 <address>"; `checkAddress` for c= lines (the origin's
// address may be a host name).
std::optional<SdpConnection> parseAddressFields(std::string_view netType,
                                                std::string_view addressType,
                                                std::string_view address, bool checkAddress,
                                                std::string& error) {
    if (netType != "IN") {
        error = "network type is not IN";
        return std::nullopt;
    }
    SdpConnection connection;
    if (addressType == "IP4") {
        connection.ipv6 = false;
    } else if (addressType == "IP6") {
        connection.ipv6 = true;
    } else {
        error = "address type is neither IP4 nor IP6";
        return std::nullopt;
    }
    connection.address = std::string(address);
    if (checkAddress && !isValidAddress(connection.ipv6, connection.address)) {
        error = "'" + connection.address + "' is not a unicast " + std::string(addressType) +
                " address";
        return std::nullopt;
    }
    return connection;
}

struct LineParser {
    const SdpLimits& limits;
    SessionDescription session;
    bool sawVersion = false;
    bool sawOrigin = false;
    bool sawName = false;
    std::string error;

    SdpMedia* currentMedia() { return session.media.empty() ? nullptr : &session.media.back(); }

    bool fail(std::size_t lineNumber, const std::string& why) {
        error = "SDP line " + std::to_string(lineNumber) + ": " + why;
        return false;
    }

    bool parseLine(std::size_t lineNumber, char type, std::string_view value) {
        if (lineNumber == 1 && type != 'v') return fail(lineNumber, "the first line is not v=");
        switch (type) {
            case 'v':
                if (sawVersion) return fail(lineNumber, "second v= line");
                if (value != "0") return fail(lineNumber, "version is not 0");
                sawVersion = true;
                return true;
            case 'o':
                return parseOrigin(lineNumber, value);
            case 's':
                if (sawName || currentMedia()) return fail(lineNumber, "misplaced s= line");
                sawName = true;
                session.sessionName = std::string(value);
                return true;
            case 'c':
                return parseConnection(lineNumber, value);
            case 'm':
                return parseMedia(lineNumber, value);
            case 'a':
                return parseAttribute(lineNumber, value);
            default:
                // i, u, e, p, b, t, r, z, k and unknown types: not used here (RFC 4566 says
                // to ignore unknown types).
                return true;
        }
    }

    bool parseOrigin(std::size_t lineNumber, std::string_view value) {
        if (sawOrigin || currentMedia()) return fail(lineNumber, "misplaced o= line");
        auto fields = splitFields(value, 6);
        if (fields.size() != 6) return fail(lineNumber, "o= needs 6 fields");
        if (!isDigits(fields[1], 32) || !isDigits(fields[2], 32)) {
            return fail(lineNumber, "session ID or version is not a number");
        }
        std::string why;
        auto address = parseAddressFields(fields[3], fields[4], fields[5], false, why);
        if (!address) return fail(lineNumber, why);
        session.originUser = std::string(fields[0]);
        session.sessionId = std::string(fields[1]);
        session.sessionVersion = std::string(fields[2]);
        session.originAddress = *address;
        sawOrigin = true;
        return true;
    }

    bool parseConnection(std::size_t lineNumber, std::string_view value) {
        auto fields = splitFields(value, 3);
        if (fields.size() != 3) return fail(lineNumber, "c= needs 3 fields");
        if (fields[2].find('/') != std::string_view::npos) {
            return fail(lineNumber, "multicast connection addresses are not supported");
        }
        std::string why;
        auto connection = parseAddressFields(fields[0], fields[1], fields[2], true, why);
        if (!connection) return fail(lineNumber, why);
        std::optional<SdpConnection>& slot =
            currentMedia() ? currentMedia()->connection : session.connection;
        if (slot) return fail(lineNumber, "second c= line at the same level");
        slot = *connection;
        return true;
    }

    bool parseMedia(std::size_t lineNumber, std::string_view value) {
        if (!sawOrigin || !sawName) return fail(lineNumber, "m= before o= and s=");
        if (session.media.size() >= limits.maxMedia) {
            return fail(lineNumber,
                        "more than " + std::to_string(limits.maxMedia) + " media sections");
        }
        auto fields = splitFields(value, limits.maxFormats + 3);
        if (fields.size() < 4) return fail(lineNumber, "m= needs media, port, protocol, format");
        if (fields.size() > limits.maxFormats + 3) {
            return fail(lineNumber, "more than " + std::to_string(limits.maxFormats) + " formats");
        }
        SdpMedia media;
        if (!isToken(fields[0])) return fail(lineNumber, "bad media type");
        media.kind = toLower(fields[0]);
        std::string_view portText = fields[1];
        std::size_t slash = portText.find('/');
        if (slash != std::string_view::npos) {
            auto count = parseNumber<int>(portText.substr(slash + 1), 65535);
            if (!count || *count == 0) return fail(lineNumber, "bad port count");
            media.portCount = *count;
            portText = portText.substr(0, slash);
        }
        auto port = parseNumber<uint16_t>(portText, 65535);
        if (!port) return fail(lineNumber, "bad port");
        media.port = *port;
        if (!isProtocol(fields[2])) return fail(lineNumber, "bad protocol");
        media.protocol = std::string(fields[2]);
        bool rtp = isRtpProtocol(media.protocol);
        for (std::size_t i = 3; i < fields.size(); ++i) {
            if (rtp ? !parseNumber<int>(fields[i], 127) : !isToken(fields[i])) {
                return fail(lineNumber, "bad format '" + std::string(fields[i]) + "'");
            }
            media.formats.emplace_back(fields[i]);
        }
        session.media.push_back(std::move(media));
        return true;
    }

    bool parseAttribute(std::size_t lineNumber, std::string_view value) {
        std::vector<SdpAttribute>& attributes =
            currentMedia() ? currentMedia()->attributes : session.attributes;
        if (attributes.size() >= limits.maxAttributes) {
            return fail(lineNumber,
                        "more than " + std::to_string(limits.maxAttributes) + " attributes");
        }
        std::size_t colon = value.find(':');
        std::string_view name = value.substr(0, colon);
        if (!isToken(name)) return fail(lineNumber, "bad attribute name");
        SdpAttribute attribute;
        attribute.name = std::string(name);
        if (colon != std::string_view::npos) attribute.value = std::string(value.substr(colon + 1));
        attributes.push_back(std::move(attribute));
        return true;
    }
};

std::optional<std::string> findAttribute(const std::vector<SdpAttribute>& attributes,
                                         std::string_view name) {
    for (const auto& attribute : attributes) {
        if (equalsIgnoreCase(attribute.name, name)) return attribute.value;
    }
    return std::nullopt;
}

std::optional<MediaDirection> directionAttribute(const std::vector<SdpAttribute>& attributes) {
    for (const auto& attribute : attributes) {
        if (equalsIgnoreCase(attribute.name, "sendrecv")) return MediaDirection::kSendRecv;
        if (equalsIgnoreCase(attribute.name, "sendonly")) return MediaDirection::kSendOnly;
        if (equalsIgnoreCase(attribute.name, "recvonly")) return MediaDirection::kRecvOnly;
        if (equalsIgnoreCase(attribute.name, "inactive")) return MediaDirection::kInactive;
    }
    return std::nullopt;
}

// The far end's direction seen from our side (its sendonly is our recvonly). A far end
// whose address is 0.0.0.0 (RFC 2543 hold) cannot be sent to.
MediaDirection ourDirection(MediaDirection theirs, const SdpConnection& theirConnection) {
    MediaDirection ours = theirs;
    if (theirs == MediaDirection::kSendOnly) ours = MediaDirection::kRecvOnly;
    if (theirs == MediaDirection::kRecvOnly) ours = MediaDirection::kSendOnly;
    if (isUnspecifiedAddress(theirConnection)) {
        if (ours == MediaDirection::kSendRecv) ours = MediaDirection::kRecvOnly;
        if (ours == MediaDirection::kSendOnly) ours = MediaDirection::kInactive;
    }
    return ours;
}

// "a=rtpmap:<pt> <encoding>/<rate>[/<channels>]" of payload type `payloadType`.
struct RtpMap {
    std::string encoding;
    int clockRate = 0;
};

std::optional<RtpMap> rtpMapOf(const SdpMedia& media, std::string_view payloadType) {
    for (const auto& attribute : media.attributes) {
        if (!equalsIgnoreCase(attribute.name, "rtpmap")) continue;
        auto fields = splitFields(attribute.value, 2);
        if (fields.size() != 2 || fields[0] != payloadType) continue;
        std::string_view spec = fields[1];
        std::size_t slash = spec.find('/');
        if (slash == std::string_view::npos) return RtpMap{std::string(spec), 0};
        std::string_view rateText = spec.substr(slash + 1);
        rateText = rateText.substr(0, rateText.find('/'));
        auto rate = parseNumber<int>(rateText, 1000000);
        return RtpMap{std::string(spec.substr(0, slash)), rate.value_or(0)};
    }
    return std::nullopt;
}

// The G.711 codec a format of an RTP m= line stands for: static types 0 and 8, unless an
// rtpmap says otherwise (then the format is not used).
std::optional<AudioCodec> codecOfFormat(const SdpMedia& media, std::string_view format) {
    std::optional<AudioCodec> codec;
    if (format == "0") codec = AudioCodec::kPcmu;
    if (format == "8") codec = AudioCodec::kPcma;
    if (!codec) return std::nullopt;
    if (auto map = rtpMapOf(media, format)) {
        if (!equalsIgnoreCase(map->encoding, encodingNameOf(*codec)) ||
            (map->clockRate != 0 && map->clockRate != 8000)) {
            return std::nullopt;
        }
    }
    return codec;
}

std::optional<std::string> telephoneEventFormat(const SdpMedia& media) {
    for (const auto& format : media.formats) {
        auto map = rtpMapOf(media, format);
        if (map && equalsIgnoreCase(map->encoding, "telephone-event") && map->clockRate == 8000) {
            return format;
        }
    }
    return std::nullopt;
}

int ptimeOf(const SdpMedia& media) {
    auto value = media.attribute("ptime");
    if (!value) return 20;
    auto ptime = parseNumber<int>(*value, 1000);
    return ptime && *ptime > 0 ? *ptime : 20;
}

bool isIpv6Literal(const std::string& address) { return address.find(':') != std::string::npos; }

SessionDescription sessionFor(const std::string& address, const SdpOrigin& origin) {
    SessionDescription session;
    session.originUser = origin.user;
    session.sessionId = std::to_string(origin.sessionId);
    session.sessionVersion = std::to_string(origin.version);
    session.originAddress = SdpConnection{isIpv6Literal(address), address};
    session.sessionName = "faxgate";
    session.connection = SdpConnection{isIpv6Literal(address), address};
    return session;
}

void addAudioAttributes(SdpMedia& media, const std::vector<AudioCodec>& codecs,
                        std::optional<int> telephoneEventPayloadType, int ptimeMs,
                        MediaDirection direction) {
    for (AudioCodec codec : codecs) {
        media.formats.push_back(std::to_string(payloadTypeOf(codec)));
        media.attributes.push_back({"rtpmap", std::to_string(payloadTypeOf(codec)) + " " +
                                                  encodingNameOf(codec) + "/8000"});
    }
    if (telephoneEventPayloadType) {
        std::string pt = std::to_string(*telephoneEventPayloadType);
        media.formats.push_back(pt);
        media.attributes.push_back({"rtpmap", pt + " telephone-event/8000"});
        media.attributes.push_back({"fmtp", pt + " 0-15"});
    }
    media.attributes.push_back({"ptime", std::to_string(ptimeMs)});
    media.attributes.push_back({toString(direction), ""});
}

MediaDirection answerDirection(MediaDirection offered) {
    switch (offered) {
        case MediaDirection::kSendOnly:
            return MediaDirection::kRecvOnly;
        case MediaDirection::kRecvOnly:
            return MediaDirection::kSendOnly;
        default:
            return offered;
    }
}

void appendConnection(std::string& out, const SdpConnection& connection) {
    out += "c=IN ";
    out += connection.ipv6 ? "IP6 " : "IP4 ";
    out += connection.address;
    out += "\r\n";
}

void appendAttributes(std::string& out, const std::vector<SdpAttribute>& attributes) {
    for (const auto& attribute : attributes) {
        out += "a=" + attribute.name;
        if (!attribute.value.empty()) out += ":" + attribute.value;
        out += "\r\n";
    }
}

}  // namespace

const char* toString(MediaDirection direction) {
    switch (direction) {
        case MediaDirection::kSendRecv:
            return "sendrecv";
        case MediaDirection::kSendOnly:
            return "sendonly";
        case MediaDirection::kRecvOnly:
            return "recvonly";
        case MediaDirection::kInactive:
            return "inactive";
    }
    return "sendrecv";
}

std::optional<std::string> SdpMedia::attribute(std::string_view name) const {
    return findAttribute(attributes, name);
}

std::optional<SdpConnection> SessionDescription::connectionFor(std::size_t index) const {
    if (index < media.size() && media[index].connection) return media[index].connection;
    return connection;
}

MediaDirection SessionDescription::directionOf(std::size_t index) const {
    if (index < media.size()) {
        if (auto direction = directionAttribute(media[index].attributes)) return *direction;
    }
    return directionAttribute(attributes).value_or(MediaDirection::kSendRecv);
}

SdpParseResult parseSdp(std::string_view text, const SdpLimits& limits) {
    SdpParseResult result;
    if (text.size() > limits.maxBytes) {
        result.error = "SDP of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                       std::to_string(limits.maxBytes);
        return result;
    }
    LineParser parser{limits, {}, false, false, false, {}};
    std::size_t pos = 0;
    std::size_t lineNumber = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        std::size_t next = end == std::string_view::npos ? text.size() : end + 1;
        std::string_view line =
            text.substr(pos, (end == std::string_view::npos ? text.size() : end) - pos);
        pos = next;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        ++lineNumber;
        if (lineNumber > limits.maxLines) {
            result.error = "SDP has more than " + std::to_string(limits.maxLines) + " lines";
            return result;
        }
        if (line.empty()) {
            if (pos >= text.size()) break;  // a final empty line ends the body
            result.error = "SDP line " + std::to_string(lineNumber) + " is empty";
            return result;
        }
        if (line.size() > limits.maxLineBytes) {
            result.error = "SDP line " + std::to_string(lineNumber) + " is longer than " +
                           std::to_string(limits.maxLineBytes) + " bytes";
            return result;
        }
        if (line.size() < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z') {
            result.error = "SDP line " + std::to_string(lineNumber) + " is not <type>=<value>";
            return result;
        }
        std::string_view value = line.substr(2);
        for (char c : value) {
            auto byte = static_cast<unsigned char>(c);
            if ((byte < 0x20 && c != '\t') || byte == 0x7f) {
                result.error =
                    "SDP line " + std::to_string(lineNumber) + " holds a control character";
                return result;
            }
        }
        if (!parser.parseLine(lineNumber, line[0], value)) {
            result.error = parser.error;
            return result;
        }
    }
    if (!parser.sawVersion || !parser.sawOrigin || !parser.sawName) {
        result.error = "SDP lacks one of the v=, o=, s= lines";
        return result;
    }
    result.session = std::move(parser.session);
    return result;
}

std::string formatSdp(const SessionDescription& session) {
    std::string out = "v=0\r\n";
    out += "o=" + session.originUser + " " + session.sessionId + " " + session.sessionVersion +
           " IN " + (session.originAddress.ipv6 ? "IP6 " : "IP4 ") + session.originAddress.address +
           "\r\n";
    out += "s=" + (session.sessionName.empty() ? std::string("-") : session.sessionName) + "\r\n";
    if (session.connection) appendConnection(out, *session.connection);
    out += "t=0 0\r\n";
    appendAttributes(out, session.attributes);
    for (const auto& media : session.media) {
        out += "m=" + media.kind + " " + std::to_string(media.port);
        if (media.portCount != 1) out += "/" + std::to_string(media.portCount);
        out += " " + media.protocol;
        for (const auto& format : media.formats) out += " " + format;
        out += "\r\n";
        if (media.connection) appendConnection(out, *media.connection);
        appendAttributes(out, media.attributes);
    }
    return out;
}

int payloadTypeOf(AudioCodec codec) { return codec == AudioCodec::kPcmu ? 0 : 8; }

const char* encodingNameOf(AudioCodec codec) {
    return codec == AudioCodec::kPcmu ? "PCMU" : "PCMA";
}

SessionDescription makeAudioOffer(const LocalAudio& local, const SdpOrigin& origin) {
    SessionDescription session = sessionFor(local.address, origin);
    SdpMedia audio;
    audio.kind = "audio";
    audio.port = local.rtpPort;
    audio.protocol = "RTP/AVP";
    std::optional<int> events;
    if (local.telephoneEvent) events = local.telephoneEventPayloadType;
    addAudioAttributes(audio, local.codecs, events, local.ptimeMs, MediaDirection::kSendRecv);
    session.media.push_back(std::move(audio));
    return session;
}

SdpAnswer answerOffer(const SessionDescription& offer, const LocalAudio& local,
                      const SdpOrigin& origin) {
    SdpAnswer result;
    SessionDescription answer = sessionFor(local.address, origin);
    std::optional<NegotiatedAudio> chosen;
    std::string whyNot;
    for (std::size_t i = 0; i < offer.media.size(); ++i) {
        const SdpMedia& offered = offer.media[i];
        SdpMedia answered;
        answered.kind = offered.kind;
        answered.protocol = offered.protocol;
        bool usable = !chosen && offered.kind == "audio" && offered.port != 0 &&
                      equalsIgnoreCase(offered.protocol, "RTP/AVP");
        std::optional<SdpConnection> connection = offer.connectionFor(i);
        if (usable && !connection) {
            whyNot = "the audio stream has no connection address";
            usable = false;
        }
        std::optional<AudioCodec> codec;
        std::string format;
        if (usable) {
            for (const auto& candidate : offered.formats) {
                auto candidateCodec = codecOfFormat(offered, candidate);
                if (candidateCodec && std::find(local.codecs.begin(), local.codecs.end(),
                                                *candidateCodec) != local.codecs.end()) {
                    codec = candidateCodec;
                    format = candidate;
                    break;
                }
            }
            if (!codec) whyNot = "no common audio codec (we take PCMU or PCMA at 8000 Hz)";
        }
        if (!codec) {
            answered.port = 0;  // rejected (RFC 3264 section 6): one format, as offered
            answered.formats.push_back(offered.formats.empty() ? "0" : offered.formats.front());
            answer.media.push_back(std::move(answered));
            continue;
        }
        NegotiatedAudio audio;
        audio.remoteAddress = connection->address;
        audio.remoteIpv6 = connection->ipv6;
        audio.remotePort = offered.port;
        audio.codec = *codec;
        audio.payloadType = payloadTypeOf(*codec);
        audio.remotePtimeMs = ptimeOf(offered);
        audio.mediaIndex = i;
        std::optional<int> events;
        if (local.telephoneEvent) {
            if (auto eventFormat = telephoneEventFormat(offered)) {
                events = parseNumber<int>(*eventFormat, 127);
                audio.telephoneEventPayloadType = events;
            }
        }
        MediaDirection offeredDirection = offer.directionOf(i);
        audio.direction = ourDirection(offeredDirection, *connection);
        answered.port = local.rtpPort;
        addAudioAttributes(answered, {*codec}, events, local.ptimeMs,
                           answerDirection(offeredDirection));
        answer.media.push_back(std::move(answered));
        chosen = audio;
    }
    if (!chosen) {
        result.error =
            whyNot.empty() ? "no audio stream offered (RTP/AVP with PCMU or PCMA)" : whyNot;
        return result;
    }
    result.audio = *chosen;
    result.answer = std::move(answer);
    return result;
}

SdpAnswerReading readAnswer(const SessionDescription& offer, const SessionDescription& answer) {
    SdpAnswerReading result;
    if (answer.media.size() != offer.media.size()) {
        result.error = "the answer has " + std::to_string(answer.media.size()) +
                       " media sections for the offer's " + std::to_string(offer.media.size());
        return result;
    }
    auto offeredAudio = std::find_if(offer.media.begin(), offer.media.end(),
                                     [](const SdpMedia& m) { return m.kind == "audio"; });
    if (offeredAudio == offer.media.end()) {
        result.error = "our offer had no audio stream";
        return result;
    }
    std::size_t index = static_cast<std::size_t>(offeredAudio - offer.media.begin());
    const SdpMedia& answered = answer.media[index];
    if (answered.kind != "audio" || answered.port == 0) {
        result.error = "the far end rejected the audio stream";
        return result;
    }
    if (!equalsIgnoreCase(answered.protocol, offeredAudio->protocol)) {
        result.error = "the answer's audio protocol " + answered.protocol + " is not ours";
        return result;
    }
    std::optional<SdpConnection> connection = answer.connectionFor(index);
    if (!connection) {
        result.error = "the answer's audio stream has no connection address";
        return result;
    }
    NegotiatedAudio audio;
    bool found = false;
    for (const auto& format : answered.formats) {
        auto codec = codecOfFormat(answered, format);
        if (codec && std::find(offeredAudio->formats.begin(), offeredAudio->formats.end(),
                               format) != offeredAudio->formats.end()) {
            audio.codec = *codec;
            audio.payloadType = payloadTypeOf(*codec);
            found = true;
            break;
        }
    }
    if (!found) {
        result.error = "the answer names no codec we offered";
        return result;
    }
    if (telephoneEventFormat(*offeredAudio)) {
        if (auto eventFormat = telephoneEventFormat(answered)) {
            audio.telephoneEventPayloadType = parseNumber<int>(*eventFormat, 127);
        }
    }
    audio.remoteAddress = connection->address;
    audio.remoteIpv6 = connection->ipv6;
    audio.remotePort = answered.port;
    audio.remotePtimeMs = ptimeOf(answered);
    audio.direction = ourDirection(answer.directionOf(index), *connection);
    audio.mediaIndex = index;
    result.audio = audio;
    return result;
}

}  // namespace faxgate::node::sip
