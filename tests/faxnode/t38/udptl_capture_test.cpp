// An independent decoder's view of our datagrams: the UDPTL of whole T.38 calls (redundancy,
// and FEC) is written to a pcap file as UDP on loopback, and Wireshark's T.38 dissector
// (tshark, a test dependency) must decode every datagram as T.38 without a decoding error.
// Skipped, saying so, when tshark is not installed.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "faxnode/t38/t38_fax_session.h"
#include "faxnode/t38/udptl_packet.h"
#include "tests/faxnode/fax/fax_test_documents.h"
#include "tests/faxnode/t38/simulated_t38_call.h"

namespace faxgate::node::t38 {
namespace {

constexpr uint16_t kCallerPort = 40000;
constexpr uint16_t kAnswererPort = 40002;

// A pcap file of raw IPv4 packets (link type 228), each a UDP datagram between the two ports.
class PcapWriter {
  public:
    explicit PcapWriter(const std::string& path) : out_(path, std::ios::binary) {
        writeLittle32(0xa1b2c3d4);  // magic, microsecond timestamps
        writeLittle16(2);
        writeLittle16(4);
        writeLittle32(0);      // time zone
        writeLittle32(0);      // accuracy
        writeLittle32(65535);  // snapshot length
        writeLittle32(228);    // LINKTYPE_IPV4
    }

    void write(int tick, bool fromCaller, const std::vector<uint8_t>& payload) {
        const std::size_t udpBytes = 8 + payload.size();
        const std::size_t ipBytes = 20 + udpBytes;
        std::vector<uint8_t> packet = {0x45,
                                       0,
                                       static_cast<uint8_t>(ipBytes >> 8),
                                       static_cast<uint8_t>(ipBytes),
                                       0,
                                       0,
                                       0x40,
                                       0,
                                       64,
                                       17,
                                       0,
                                       0,
                                       127,
                                       0,
                                       0,
                                       1,
                                       127,
                                       0,
                                       0,
                                       1};
        uint32_t sum = 0;
        for (std::size_t i = 0; i < 20; i += 2) sum += (packet[i] << 8) | packet[i + 1];
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
        packet[10] = static_cast<uint8_t>(~sum >> 8);
        packet[11] = static_cast<uint8_t>(~sum);
        const uint16_t source = fromCaller ? kCallerPort : kAnswererPort;
        const uint16_t destination = fromCaller ? kAnswererPort : kCallerPort;
        // UDP checksum 0: none (allowed over IPv4).
        const std::array<uint8_t, 8> udp = {static_cast<uint8_t>(source >> 8),
                                            static_cast<uint8_t>(source),
                                            static_cast<uint8_t>(destination >> 8),
                                            static_cast<uint8_t>(destination),
                                            static_cast<uint8_t>(udpBytes >> 8),
                                            static_cast<uint8_t>(udpBytes),
                                            0,
                                            0};
        packet.insert(packet.end(), udp.begin(), udp.end());
        packet.insert(packet.end(), payload.begin(), payload.end());
        const uint64_t microseconds = static_cast<uint64_t>(tick) * 20000 + order_++;
        writeLittle32(static_cast<uint32_t>(microseconds / 1000000));
        writeLittle32(static_cast<uint32_t>(microseconds % 1000000));
        writeLittle32(static_cast<uint32_t>(packet.size()));
        writeLittle32(static_cast<uint32_t>(packet.size()));
        out_.write(reinterpret_cast<const char*>(packet.data()),
                   static_cast<std::streamsize>(packet.size()));
    }

  private:
    void writeLittle16(uint16_t v) {
        const char b[2] = {static_cast<char>(v), static_cast<char>(v >> 8)};
        out_.write(b, 2);
    }
    void writeLittle32(uint32_t v) {
        writeLittle16(static_cast<uint16_t>(v));
        writeLittle16(static_cast<uint16_t>(v >> 16));
    }
    std::ofstream out_;
    uint64_t order_ = 0;  // keeps packets of one tick in order
};

// Runs `command` and returns its standard output.
std::string run(const std::string& command) {
    std::string output;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return output;
    std::array<char, 4096> buffer{};
    std::size_t n = 0;
    while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
    pclose(pipe);
    return output;
}

int countLines(const std::string& text) {
    int lines = 0;
    for (char c : text) lines += c == '\n' ? 1 : 0;
    return lines;
}

// Frame numbers (1-based, one per line) tshark printed.
std::vector<std::size_t> frameNumbers(const std::string& text) {
    std::vector<std::size_t> frames;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        const std::string line = text.substr(start, end - start);
        if (!line.empty()) frames.push_back(std::stoul(line));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return frames;
}

void captureCallAndDecode(UdptlErrorCorrection errorCorrection) {
    fax::testing::TempDir dir;
    const std::string sentPath = dir.file("sent.tif");
    fax::testing::writePatternTiff(sentPath, 3);
    const std::string pcapPath = dir.file("call.pcap");
    struct Sent {
        int side;
        std::vector<uint8_t> datagram;
    };
    std::vector<Sent> sent;
    {
        fax::T30Settings settings;
        settings.stationId = "1";
        T38FaxSession caller(fax::FaxRole::kCaller, settings, {}, sentPath);
        T38FaxSession answerer(fax::FaxRole::kAnswerer, settings, {}, dir.file("received.tif"));
        testing::T38Link link;
        link.udptl.errorCorrection = errorCorrection;
        link.lossRate = 0.05;
        testing::SimulatedT38Call call(caller, &answerer, link);
        PcapWriter pcap(pcapPath);
        call.observeDatagrams([&](int side, int tick, const std::vector<uint8_t>& datagram) {
            pcap.write(tick, side == 0, datagram);
            sent.push_back({side, datagram});
        });
        call.run(400 * 50);
        ASSERT_EQ(caller.recordOutcome().result, "ok") << caller.recordOutcome().reason;
    }
    const std::string tshark =
        "tshark -n -r " + pcapPath + " -d udp.port==" + std::to_string(kCallerPort) + ",t38 ";
    const std::string decoded = run(tshark + "-Y t38 -T fields -e t38.seq_number 2>/dev/null");
    EXPECT_EQ(countLines(decoded), static_cast<int>(sent.size()));
    // Errors of the PER decoding itself: none.
    EXPECT_EQ(run(tshark + "-Y '_ws.malformed && !t38.malformed' 2>/dev/null"), "");
    // Wireshark's T.38 reassembly marks an end-of-data packet that comes when no data is
    // being reassembled "[Malformed?]". SpanDSP sends the ends of image data several times
    // (each copy with its own sequence number, as T.38 allows); only such repeats may be
    // marked.
    const auto marked =
        frameNumbers(run(tshark + "-Y t38.malformed -T fields -e frame.number 2>/dev/null"));
    for (std::size_t frame : marked) {
        ASSERT_GE(frame, 2u);
        ASSERT_LE(frame, sent.size());
        const Sent& it = sent[frame - 1];
        const std::vector<uint8_t> primary = parseUdptlPacket(it.datagram).packet.primary;
        bool repeat = false;
        for (std::size_t back = frame - 1, seen = 0; back > 0 && seen < 3; --back) {
            if (sent[back - 1].side != it.side) continue;
            ++seen;
            repeat = repeat || parseUdptlPacket(sent[back - 1].datagram).packet.primary == primary;
        }
        EXPECT_TRUE(repeat) << "frame " << frame << " is marked malformed and is not a repeat";
    }
}

bool haveTshark() { return std::system("tshark --version >/dev/null 2>&1") == 0; }

TEST(UdptlCaptureTest, TsharkDecodesARedundancyCallAsT38) {
    if (!haveTshark()) GTEST_SKIP() << "tshark is not installed (contrib/install-deps.sh --test)";
    captureCallAndDecode(UdptlErrorCorrection::kRedundancy);
}

TEST(UdptlCaptureTest, TsharkDecodesAnFecCallAsT38) {
    if (!haveTshark()) GTEST_SKIP() << "tshark is not installed (contrib/install-deps.sh --test)";
    captureCallAndDecode(UdptlErrorCorrection::kFec);
}

}  // namespace
}  // namespace faxgate::node::t38
