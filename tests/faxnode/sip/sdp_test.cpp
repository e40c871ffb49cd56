// SDP model tests: parsing real-world offers, formatting, the audio offer/answer rules, every
// malformed shape the parser refuses, its limits, and a mutation fuzz run.
#include "faxnode/sip/sdp.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace faxgate::node::sip {
namespace {

// An offer as Asterisk sends it: three codecs, telephone-event, a video stream we refuse.
const char* kAsteriskOffer =
    "v=0\r\n"
    "o=- 1680000000 1680000001 IN IP4 192.0.2.10\r\n"
    "s=Asterisk\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "m=audio 17000 RTP/AVP 9 0 8 101\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=maxptime:150\r\n"
    "a=sendrecv\r\n"
    "m=video 17002 RTP/AVP 99\r\n"
    "a=rtpmap:99 H264/90000\r\n";

LocalAudio ourAudio() {
    LocalAudio local;
    local.address = "198.51.100.7";
    local.rtpPort = 30000;
    return local;
}

SessionDescription parseOk(const std::string& text) {
    SdpParseResult result = parseSdp(text);
    EXPECT_TRUE(result.ok()) << result.error << "\n" << text;
    return result.ok() ? *result.session : SessionDescription{};
}

TEST(SdpParse, ReadsARealOffer) {
    SessionDescription sdp = parseOk(kAsteriskOffer);
    EXPECT_EQ(sdp.originUser, "-");
    EXPECT_EQ(sdp.sessionId, "1680000000");
    EXPECT_EQ(sdp.sessionVersion, "1680000001");
    EXPECT_EQ(sdp.sessionName, "Asterisk");
    ASSERT_TRUE(sdp.connection.has_value());
    EXPECT_EQ(sdp.connection->address, "192.0.2.10");
    EXPECT_FALSE(sdp.connection->ipv6);
    ASSERT_EQ(sdp.media.size(), 2u);
    EXPECT_EQ(sdp.media[0].kind, "audio");
    EXPECT_EQ(sdp.media[0].port, 17000);
    EXPECT_EQ(sdp.media[0].protocol, "RTP/AVP");
    EXPECT_EQ(sdp.media[0].formats, (std::vector<std::string>{"9", "0", "8", "101"}));
    EXPECT_EQ(sdp.media[0].attribute("ptime"), "20");
    EXPECT_EQ(sdp.media[0].attribute("fmtp"), "101 0-16");
    EXPECT_FALSE(sdp.media[0].attribute("rtcp").has_value());
    EXPECT_EQ(sdp.directionOf(0), MediaDirection::kSendRecv);
    EXPECT_EQ(sdp.media[1].kind, "video");
    EXPECT_EQ(sdp.connectionFor(1)->address, "192.0.2.10");
}

TEST(SdpParse, AcceptsBareLineFeedsAndMediaLevelIpv6Connection) {
    SessionDescription sdp = parseOk(
        "v=0\no=alice 1 2 IN IP6 ::1\ns=-\nt=0 0\nm=audio 5004/2 RTP/AVP 0\nc=IN IP6 ::1\n"
        "a=recvonly\n");
    EXPECT_FALSE(sdp.connection.has_value());
    ASSERT_TRUE(sdp.connectionFor(0).has_value());
    EXPECT_TRUE(sdp.connectionFor(0)->ipv6);
    EXPECT_EQ(sdp.connectionFor(0)->address, "::1");
    EXPECT_EQ(sdp.media[0].portCount, 2);
    EXPECT_EQ(sdp.directionOf(0), MediaDirection::kRecvOnly);
}

TEST(SdpParse, ReadsAT38ImageStreamWithTheSameModel) {
    SessionDescription sdp = parseOk(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
        "m=image 4002 udptl t38\r\na=T38FaxVersion:0\r\na=T38MaxBitRate:14400\r\n"
        "a=T38FaxRateManagement:transferredTCF\r\na=T38FaxUdpEC:t38UDPRedundancy\r\n");
    ASSERT_EQ(sdp.media.size(), 1u);
    EXPECT_EQ(sdp.media[0].kind, "image");
    EXPECT_EQ(sdp.media[0].protocol, "udptl");
    EXPECT_EQ(sdp.media[0].formats, std::vector<std::string>{"t38"});
    EXPECT_EQ(sdp.media[0].attribute("T38MaxBitRate"), "14400");
}

TEST(SdpFormat, OfferRoundTripsThroughTheParser) {
    LocalAudio local = ourAudio();
    local.telephoneEvent = true;
    SdpOrigin origin;
    origin.sessionId = 4242;
    origin.version = 7;
    std::string text = formatSdp(makeAudioOffer(local, origin));
    EXPECT_EQ(text,
              "v=0\r\n"
              "o=faxgate 4242 7 IN IP4 198.51.100.7\r\n"
              "s=faxgate\r\n"
              "c=IN IP4 198.51.100.7\r\n"
              "t=0 0\r\n"
              "m=audio 30000 RTP/AVP 8 0 101\r\n"
              "a=rtpmap:8 PCMA/8000\r\n"
              "a=rtpmap:0 PCMU/8000\r\n"
              "a=rtpmap:101 telephone-event/8000\r\n"
              "a=fmtp:101 0-15\r\n"
              "a=ptime:20\r\n"
              "a=sendrecv\r\n");
    SessionDescription back = parseOk(text);
    EXPECT_EQ(formatSdp(back), text);
}

TEST(SdpAnswer, TakesTheOffersFirstCodecWeSupportAndRejectsOtherStreams) {
    SdpOrigin origin;
    origin.sessionId = 9;
    SdpAnswer answer = answerOffer(parseOk(kAsteriskOffer), ourAudio(), origin);
    ASSERT_TRUE(answer.ok()) << answer.error;
    // The offer's order is 9 (G.722, not ours), 0, 8: PCMU wins, and only it is answered.
    EXPECT_EQ(answer.audio.codec, AudioCodec::kPcmu);
    EXPECT_EQ(answer.audio.payloadType, 0);
    EXPECT_EQ(answer.audio.remoteAddress, "192.0.2.10");
    EXPECT_EQ(answer.audio.remotePort, 17000);
    EXPECT_EQ(answer.audio.remotePtimeMs, 20);
    EXPECT_FALSE(answer.audio.telephoneEventPayloadType.has_value());  // we did not ask
    EXPECT_EQ(answer.audio.direction, MediaDirection::kSendRecv);
    const SessionDescription& sdp = *answer.answer;
    ASSERT_EQ(sdp.media.size(), 2u);
    EXPECT_EQ(sdp.media[0].port, 30000);
    EXPECT_EQ(sdp.media[0].formats, std::vector<std::string>{"0"});
    EXPECT_EQ(sdp.media[1].kind, "video");
    EXPECT_EQ(sdp.media[1].port, 0);
    EXPECT_EQ(sdp.connection->address, "198.51.100.7");
}

TEST(SdpAnswer, FollowsOurCodecListAndAgreesOnTelephoneEvents) {
    LocalAudio local = ourAudio();
    local.codecs = {AudioCodec::kPcma};
    local.telephoneEvent = true;
    SdpAnswer answer = answerOffer(parseOk(kAsteriskOffer), local, SdpOrigin{});
    ASSERT_TRUE(answer.ok()) << answer.error;
    EXPECT_EQ(answer.audio.codec, AudioCodec::kPcma);
    EXPECT_EQ(answer.audio.telephoneEventPayloadType, 101);
    EXPECT_EQ(answer.answer->media[0].formats, (std::vector<std::string>{"8", "101"}));
}

TEST(SdpAnswer, MirrorsDirectionAndTreatsZeroAddressAsHold) {
    SessionDescription offer = parseOk(
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
        "m=audio 4000 RTP/AVP 8\r\na=sendonly\r\n");
    SdpAnswer answer = answerOffer(offer, ourAudio(), SdpOrigin{});
    ASSERT_TRUE(answer.ok()) << answer.error;
    EXPECT_EQ(answer.answer->directionOf(0), MediaDirection::kRecvOnly);
    EXPECT_EQ(answer.audio.direction, MediaDirection::kRecvOnly);

    offer = parseOk(
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
        "m=audio 4000 RTP/AVP 8\r\n");
    answer = answerOffer(offer, ourAudio(), SdpOrigin{});
    ASSERT_TRUE(answer.ok());
    EXPECT_EQ(answer.audio.direction, MediaDirection::kRecvOnly);  // cannot send to 0.0.0.0
}

TEST(SdpAnswer, RefusesOffersWithoutUsableAudio) {
    auto refuse = [](const std::string& text) {
        SdpAnswer answer = answerOffer(parseOk(text), ourAudio(), SdpOrigin{});
        EXPECT_FALSE(answer.ok()) << text;
        return answer.error;
    };
    EXPECT_NE(refuse("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
                     "m=audio 4000 RTP/AVP 9 18\r\n")
                  .find("codec"),
              std::string::npos);
    EXPECT_NE(refuse("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nm=audio 4000 RTP/AVP 8\r\n")
                  .find("connection"),
              std::string::npos);
    // PT 8 remapped to something else is not PCMA.
    refuse(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
        "m=audio 4000 RTP/AVP 8\r\na=rtpmap:8 opus/48000\r\n");
    refuse(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
        "m=audio 0 RTP/AVP 8\r\n");
    refuse(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
        "m=audio 4000 RTP/SAVP 8\r\n");
    refuse(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
        "m=image 4000 udptl t38\r\n");
}

TEST(SdpReadAnswer, ReadsTheFarEndsChoice) {
    LocalAudio local = ourAudio();
    local.telephoneEvent = true;
    SessionDescription offer = makeAudioOffer(local, SdpOrigin{});
    SdpAnswerReading reading = readAnswer(
        offer, parseOk("v=0\r\no=- 5 5 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\n"
                       "m=audio 21000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
                       "a=ptime:30\r\n"));
    ASSERT_TRUE(reading.ok()) << reading.error;
    EXPECT_EQ(reading.audio->codec, AudioCodec::kPcmu);
    EXPECT_EQ(reading.audio->remoteAddress, "203.0.113.5");
    EXPECT_EQ(reading.audio->remotePort, 21000);
    EXPECT_EQ(reading.audio->remotePtimeMs, 30);
    EXPECT_EQ(reading.audio->telephoneEventPayloadType, 101);
}

TEST(SdpReadAnswer, RefusesAnswersThatDoNotFitTheOffer) {
    SessionDescription offer = makeAudioOffer(ourAudio(), SdpOrigin{});
    auto fails = [&](const std::string& text) {
        SdpAnswerReading reading = readAnswer(offer, parseOk(text));
        EXPECT_FALSE(reading.ok()) << text;
        return reading.error;
    };
    EXPECT_NE(fails("v=0\r\no=- 5 5 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\n"
                    "m=audio 0 RTP/AVP 8\r\n")
                  .find("rejected"),
              std::string::npos);
    fails(
        "v=0\r\no=- 5 5 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\n"
        "m=audio 21000 RTP/AVP 9\r\n");  // G.722 was not offered
    fails("v=0\r\no=- 5 5 IN IP4 203.0.113.5\r\ns=-\r\nm=audio 21000 RTP/AVP 8\r\n");
    fails(
        "v=0\r\no=- 5 5 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\n"
        "m=audio 21000 RTP/AVP 8\r\nm=video 0 RTP/AVP 99\r\n");  // two sections for one
    fails(
        "v=0\r\no=- 5 5 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\n"
        "m=audio 21000 RTP/SAVP 8\r\n");
}

// Each malformed shape, with a word the error must contain.
struct Malformed {
    std::string text;
    std::string errorWord;
};

TEST(SdpParse, RefusesMalformedInput) {
    const std::string head = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n";
    const std::vector<Malformed> cases = {
        {"", "lacks"},
        {"o=- 1 1 IN IP4 192.0.2.1\r\nv=0\r\ns=-\r\n", "first line"},
        {"v=1\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n", "version"},
        {"v=0\r\ns=-\r\n", "lacks"},
        {"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n", "lacks"},
        {"v=0\r\no=- 1 IN IP4 192.0.2.1\r\ns=-\r\n", "6 fields"},
        {"v=0\r\no=- x 1 IN IP4 192.0.2.1\r\ns=-\r\n", "number"},
        {"v=0\r\no=- 1 1 ATM IP4 192.0.2.1\r\ns=-\r\n", "network type"},
        {"v=0\r\no=- 1 1 IN IPX 192.0.2.1\r\ns=-\r\n", "address type"},
        {head + "o=- 1 1 IN IP4 192.0.2.1\r\n", "o="},
        {head + "v=0\r\n", "second v="},
        {head + "c=IN IP4 192.0.2.300\r\n", "IP4 address"},
        {head + "c=IN IP6 192.0.2.1\r\n", "IP6 address"},
        {head + "c=IN IP4 host.example.com\r\n", "address"},
        {head + "c=IN IP4 224.2.1.1/127\r\n", "multicast"},
        {head + "c=IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.2\r\n", "second c="},
        {head + "m=audio 70000 RTP/AVP 0\r\n", "port"},
        {head + "m=audio -1 RTP/AVP 0\r\n", "port"},
        {head + "m=audio 4000/0 RTP/AVP 0\r\n", "port count"},
        {head + "m=audio 4000 RTP/AVP\r\n", "m= needs"},
        {head + "m=audio 4000 RTP/AVP 128\r\n", "format"},
        {head + "m=audio 4000 RTP/AVP PCMA\r\n", "format"},
        {head + "m=audio 4000 /AVP 0\r\n", "protocol"},
        {head + "m=au(dio 4000 RTP/AVP 0\r\n", "media type"},
        {"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\ns=-\r\n", "m= before"},
        {head + "m=audio 4000 RTP/AVP 0\r\ns=again\r\n", "s="},
        {head + "a=:value\r\n", "attribute name"},
        {head + "x\r\n", "<type>=<value>"},
        {head + "A=b\r\n", "<type>=<value>"},
        {head + "a =b\r\n", "<type>=<value>"},
        {head + "\r\na=sendrecv\r\n", "empty"},
        {head + "a=tool:\x01evil\r\n", "control"},
        {head + std::string("a=tool:nul\0byte\r\n", 17), "control"},
    };
    for (const auto& bad : cases) {
        SdpParseResult result = parseSdp(bad.text);
        EXPECT_FALSE(result.ok()) << bad.text;
        EXPECT_NE(result.error.find(bad.errorWord), std::string::npos)
            << "input: " << bad.text << "\nerror: " << result.error;
    }
}

TEST(SdpParse, EnforcesEveryLimit) {
    const std::string head = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n";
    SdpLimits limits;
    limits.maxBytes = 300;
    limits.maxLines = 10;
    limits.maxLineBytes = 60;
    limits.maxMedia = 2;
    limits.maxFormats = 3;
    limits.maxAttributes = 2;

    EXPECT_TRUE(parseSdp(head + "m=audio 1 RTP/AVP 0 8 9\r\na=a\r\na=b\r\n", limits).ok());
    auto refusal = [&](const std::string& text) { return parseSdp(text, limits).error; };
    EXPECT_NE(refusal(head + std::string(300, 'x')).find("bytes exceeds"), std::string::npos);
    EXPECT_NE(refusal(head + "a=" + std::string(70, 'x') + "\r\n").find("longer than"),
              std::string::npos);
    EXPECT_NE(refusal(head + "m=audio 1 RTP/AVP 0 8 9 18\r\n").find("formats"), std::string::npos);
    EXPECT_NE(refusal(head + "m=audio 1 RTP/AVP 0\r\nm=audio 2 RTP/AVP 0\r\n"
                             "m=audio 3 RTP/AVP 0\r\n")
                  .find("media sections"),
              std::string::npos);
    EXPECT_NE(refusal(head + "a=a\r\na=b\r\na=c\r\n").find("attributes"), std::string::npos);
    EXPECT_NE(
        refusal(head + "t=0 0\r\nb=AS:64\r\nk=x\r\ni=x\r\nu=x\r\ne=x\r\np=x\r\n").find("lines"),
        std::string::npos);
}

// Mutations of valid descriptions: the parser must never crash (ASan/UBSan builds catch
// out-of-bounds reads) and whatever it accepts must format into text it accepts again.
TEST(SdpParse, SurvivesMutationFuzzing) {
    const std::vector<std::string> seeds = {
        kAsteriskOffer,
        formatSdp(makeAudioOffer(ourAudio(), SdpOrigin{})),
        "v=0\no=- 1 2 IN IP6 ::1\ns=-\nm=image 4002 udptl t38\nc=IN IP6 2001:db8::1\n"
        "a=T38FaxVersion:0\n",
    };
    const std::string alphabet = "=: /\r\n0123456789aeimoscvtIPN.-";
    std::mt19937 random(20261105);
    int accepted = 0;
    for (int round = 0; round < 30000; ++round) {
        std::string text = seeds[random() % seeds.size()];
        int edits = 1 + static_cast<int>(random() % 8);
        for (int e = 0; e < edits && !text.empty(); ++e) {
            std::size_t at = random() % text.size();
            switch (random() % 4) {
                case 0:
                    text[at] = static_cast<char>(random() % 256);
                    break;
                case 1:
                    text[at] = alphabet[random() % alphabet.size()];
                    break;
                case 2:
                    text.erase(at, 1 + random() % 12);
                    break;
                default:
                    text.insert(at, text.substr(random() % text.size(), 1 + random() % 20));
                    break;
            }
        }
        SdpParseResult result = parseSdp(text);
        if (!result.ok()) {
            EXPECT_FALSE(result.error.empty());
            continue;
        }
        ++accepted;
        SdpParseResult again = parseSdp(formatSdp(*result.session));
        ASSERT_TRUE(again.ok()) << again.error << "\nfrom: " << text;
        answerOffer(*result.session, ourAudio(), SdpOrigin{});  // must not crash either
    }
    EXPECT_GT(accepted, 100);  // the run explored valid inputs too
}

}  // namespace
}  // namespace faxgate::node::sip
