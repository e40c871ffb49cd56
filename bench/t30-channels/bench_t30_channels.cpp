// bench-t30-channels: how many simultaneous audio fax calls one core carries at real time.
// Both measurements run N pairs of fax endpoints in this one thread, tick by tick (20 ms of
// audio per endpoint per tick), each pair sending the same 3-page fine-resolution G4
// document at 14,400 bit/s with ECM until every pair has finished:
//   (a) SpanDSP only: two fax_state_t per pair, the audio blocks handed straight across;
//   (b) our path: two T30AudioSession per pair, each block G.711-encoded (A-law) into an RTP
//       packet by its RtpStream, parsed by the far end's RtpStream, through its jitter buffer
//       and decoded, as the SIP line driver will do (sockets excepted).
// The figure is simulated seconds of fax per second of CPU (thread CPU time, so other load
// on the machine matters little; wall time is printed too): 1 endpoint-second per second is
// one channel at real time, so the figure is the channels one core sustains. The goal is
// (b) >= 60% of (a). Each measurement is repeated --rounds times, alternating, best kept.
// Usage: bench-t30-channels [--pairs N] [--rounds R]. Takes a few seconds. Not a test: exit
// status 0 when the goal is met, 1 when not or when a call did not complete.
#include <spandsp.h>
#include <tiffio.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "faxnode/fax/t30_audio_session.h"
#include "faxnode/rtp/rtp_stream.h"

namespace {

using faxgate::node::fax::FaxRole;
using faxgate::node::fax::T30AudioSession;
using faxgate::node::fax::T30Settings;
namespace rtp = faxgate::node::rtp;

constexpr int kBlock = 160;
constexpr int kTicksPerSecond = 50;
constexpr int kMaxTicks = 200 * kTicksPerSecond;  // a 3-page call takes ~46 s

double threadCpuSeconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double wallSeconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// A 3-page G4 TIFF, 1728 px wide, 204x196 dpi, 1100 rows (about half an A4 page) per page
// with bands of short runs, a little busier than typed text.
void writeDocument(const std::string& path) {
    TIFF* tiff = TIFFOpen(path.c_str(), "w");
    if (tiff == nullptr) {
        std::fprintf(stderr, "cannot create %s\n", path.c_str());
        std::exit(2);
    }
    const uint32_t width = 1728, rows = 1100;
    std::vector<uint8_t> row(width / 8);
    for (int page = 0; page < 3; ++page) {
        TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, width);
        TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, rows);
        TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, 1);
        TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, 1);
        TIFFSetField(tiff, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
        TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
        TIFFSetField(tiff, TIFFTAG_FILLORDER, FILLORDER_LSB2MSB);
        TIFFSetField(tiff, TIFFTAG_XRESOLUTION, 204.0);
        TIFFSetField(tiff, TIFFTAG_YRESOLUTION, 196.0);
        TIFFSetField(tiff, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
        TIFFSetField(tiff, TIFFTAG_ROWSPERSTRIP, rows);
        TIFFSetField(tiff, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
        TIFFSetField(tiff, TIFFTAG_PAGENUMBER, page, 3);
        for (uint32_t y = 0; y < rows; ++y) {
            // Bands of "text": short black runs in 24-row lines with 12-row gaps.
            std::fill(row.begin(), row.end(), 0);
            if (y % 36 < 24 && y > 100 && y < rows - 100) {
                for (std::size_t x = 10; x < row.size() - 10; ++x) {
                    if ((x * 7 + y / 36 * 13 + static_cast<std::size_t>(page)) % 11 < 5 &&
                        (y % 36) % 6 < 3) {
                        row[x] = 0x3c;
                    }
                }
            }
            TIFFWriteScanline(tiff, row.data(), y, 0);
        }
        TIFFWriteDirectory(tiff);
    }
    TIFFClose(tiff);
}

struct Measurement {
    double simulatedSeconds = 0;  // endpoint-seconds of audio processed
    double cpuSeconds = 0;
    double wallSeconds = 0;
    int completed = 0;  // pairs whose transfer ended OK
    double perCpuSecond() const { return simulatedSeconds / cpuSeconds; }
    double perWallSecond() const { return simulatedSeconds / wallSeconds; }
};

// (a) SpanDSP alone.
struct SpanDspPair {
    fax_state_t* caller = nullptr;
    fax_state_t* answerer = nullptr;
    int doneCount = 0;
    int okCount = 0;
    std::array<int16_t, kBlock> toAnswerer{}, toCaller{};
};

void phaseE(t30_state_t*, void* user, int code) {
    auto* pair = static_cast<SpanDspPair*>(user);
    ++pair->doneCount;
    if (code == T30_ERR_OK) ++pair->okCount;
}

void configure(fax_state_t* fax, SpanDspPair* pair) {
    t30_state_t* t30 = fax_get_t30_state(fax);
    fax_set_transmit_on_idle(fax, 1);
    t30_set_tx_ident(t30, "+1 555 0100");
    t30_set_ecm_capability(t30, 1);
    t30_set_supported_modems(t30, T30_SUPPORT_V17 | T30_SUPPORT_V29 | T30_SUPPORT_V27TER);
    t30_set_supported_compressions(t30, T30_SUPPORT_T4_1D_COMPRESSION |
                                            T30_SUPPORT_T4_2D_COMPRESSION |
                                            T30_SUPPORT_T6_COMPRESSION);
    t30_set_phase_e_handler(t30, phaseE, pair);
}

Measurement runSpanDsp(int pairs, const std::string& document, const std::string& dir) {
    std::vector<std::unique_ptr<SpanDspPair>> all;
    for (int i = 0; i < pairs; ++i) {
        auto pair = std::make_unique<SpanDspPair>();
        pair->caller = fax_init(nullptr, 1);
        pair->answerer = fax_init(nullptr, 0);
        configure(pair->caller, pair.get());
        configure(pair->answerer, pair.get());
        t30_set_tx_file(fax_get_t30_state(pair->caller), document.c_str(), -1, -1);
        const std::string received = dir + "/spandsp-" + std::to_string(i) + ".tif";
        t30_set_rx_file(fax_get_t30_state(pair->answerer), received.c_str(), -1);
        all.push_back(std::move(pair));
    }
    Measurement m;
    const double cpu0 = threadCpuSeconds(), wall0 = wallSeconds();
    long endpointTicks = 0;
    for (int tick = 0; tick < kMaxTicks; ++tick) {
        int active = 0;
        for (auto& pair : all) {
            if (pair->doneCount == 2) continue;
            ++active;
            int16_t a[kBlock], b[kBlock];
            int n = fax_tx(pair->caller, a, kBlock);
            std::memset(a + n, 0, sizeof(int16_t) * (kBlock - n));
            n = fax_tx(pair->answerer, b, kBlock);
            std::memset(b + n, 0, sizeof(int16_t) * (kBlock - n));
            fax_rx(pair->caller, pair->toCaller.data(), kBlock);
            fax_rx(pair->answerer, pair->toAnswerer.data(), kBlock);
            std::memcpy(pair->toAnswerer.data(), a, sizeof a);
            std::memcpy(pair->toCaller.data(), b, sizeof b);
            endpointTicks += 2;
        }
        if (active == 0) break;
    }
    m.cpuSeconds = threadCpuSeconds() - cpu0;
    m.wallSeconds = wallSeconds() - wall0;
    m.simulatedSeconds = static_cast<double>(endpointTicks) / kTicksPerSecond;
    for (auto& pair : all) {
        if (pair->okCount == 2) ++m.completed;
        fax_free(pair->caller);
        fax_free(pair->answerer);
    }
    return m;
}

// (b) Our path.
struct Endpoint {
    std::unique_ptr<T30AudioSession> session;
    std::unique_ptr<rtp::RtpStream> stream;
};

struct OurPair {
    Endpoint ends[2];
};

Measurement runOurs(int pairs, const std::string& document, const std::string& dir) {
    T30Settings settings;
    settings.stationId = "+1 555 0100";
    std::vector<OurPair> all(static_cast<std::size_t>(pairs));
    for (int i = 0; i < pairs; ++i) {
        OurPair& pair = all[static_cast<std::size_t>(i)];
        pair.ends[0].session =
            std::make_unique<T30AudioSession>(FaxRole::kCaller, settings, document);
        const std::string received = dir + "/ours-" + std::to_string(i) + ".tif";
        pair.ends[1].session =
            std::make_unique<T30AudioSession>(FaxRole::kAnswerer, settings, received);
        for (Endpoint& end : pair.ends) {
            end.stream =
                std::make_unique<rtp::RtpStream>(rtp::G711Law::kALaw, rtp::RtpSendOrigin::random());
        }
    }
    Measurement m;
    const double cpu0 = threadCpuSeconds(), wall0 = wallSeconds();
    long endpointTicks = 0;
    std::array<uint8_t, rtp::RtpStream::kMaxPacketBytes> packet{};
    for (int tick = 0; tick < kMaxTicks; ++tick) {
        int active = 0;
        for (OurPair& pair : all) {
            if (pair.ends[0].session->finished() && pair.ends[1].session->finished()) continue;
            ++active;
            for (int side = 0; side < 2; ++side) {
                Endpoint& self = pair.ends[side];
                Endpoint& peer = pair.ends[1 - side];
                std::array<int16_t, kBlock> heard{}, said{};
                const bool lost =
                    self.stream->playoutFrame(heard) == rtp::JitterBuffer::Playout::kMissing;
                self.session->processAudio(lost ? nullptr : heard.data(), said.data());
                const std::size_t bytes = self.stream->packFrame(said, packet);
                peer.stream->receivePacket(std::span<const uint8_t>(packet.data(), bytes));
                ++endpointTicks;
            }
        }
        if (active == 0) break;
    }
    m.cpuSeconds = threadCpuSeconds() - cpu0;
    m.wallSeconds = wallSeconds() - wall0;
    m.simulatedSeconds = static_cast<double>(endpointTicks) / kTicksPerSecond;
    for (OurPair& pair : all) {
        if (pair.ends[0].session->recordOutcome().result == "ok" &&
            pair.ends[1].session->recordOutcome().result == "ok") {
            ++m.completed;
        }
    }
    return m;
}

void print(const char* name, const Measurement& m, int pairs) {
    std::printf(
        "%-28s %8.0f channels/core (CPU)  %8.0f (wall)  %.2f s CPU for %.0f s of fax, "
        "%d/%d calls ok\n",
        name, m.perCpuSecond(), m.perWallSecond(), m.cpuSeconds, m.simulatedSeconds, m.completed,
        pairs);
}

}  // namespace

int main(int argc, char** argv) {
    int pairs = 16, rounds = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--pairs") == 0) pairs = std::atoi(argv[i + 1]);
        if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::atoi(argv[i + 1]);
    }
    if (pairs < 1 || rounds < 1) {
        std::fprintf(stderr, "usage: bench-t30-channels [--pairs N] [--rounds R]\n");
        return 2;
    }
    char pattern[] = "/tmp/bench-t30-XXXXXX";
    if (mkdtemp(pattern) == nullptr) return 2;
    const std::string dir = pattern;
    const std::string document = dir + "/document.tif";
    writeDocument(document);

    Measurement bestSpanDsp, bestOurs;
    for (int round = 0; round < rounds; ++round) {
        const Measurement a = runSpanDsp(pairs, document, dir);
        const Measurement b = runOurs(pairs, document, dir);
        if (round == 0 || a.perCpuSecond() > bestSpanDsp.perCpuSecond()) bestSpanDsp = a;
        if (round == 0 || b.perCpuSecond() > bestOurs.perCpuSecond()) bestOurs = b;
    }
    std::filesystem::remove_all(dir);

    std::printf("%d pairs (%d channels), 3 fine pages G4 at 14,400 bit/s with ECM, best of %d\n",
                pairs, 2 * pairs, rounds);
    print("(a) SpanDSP fax_state_t", bestSpanDsp, pairs);
    print("(b) T30AudioSession+G.711+RTP", bestOurs, pairs);
    const double ratio = bestOurs.perCpuSecond() / bestSpanDsp.perCpuSecond();
    std::printf("ratio (b)/(a): %.0f%% (goal >= 60%%)\n", 100 * ratio);
    if (bestSpanDsp.completed != pairs || bestOurs.completed != pairs) {
        std::printf("some calls did not complete: the figures are not comparable\n");
        return 1;
    }
    return ratio >= 0.6 ? 0 : 1;
}
