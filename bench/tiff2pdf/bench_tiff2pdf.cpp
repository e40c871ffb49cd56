// bench-tiff2pdf: how fast gateway/image wraps a received fax TIFF as PDF (wrapFaxTiffAsPdf),
// compared with libtiff's tiff2pdf command (Debian package libtiff-tools), which a mail
// gateway would otherwise spawn per fax:
//   tiff2pdf -o out.pdf in.tif
// It renders 50 pages of text with gateway/image (renderText, fine resolution) into one G4
// TIFF (writeFaxTiff), then measures both end to end on that file (best of N runs, wall time;
// tiff2pdf spawned, so its start-up counts as it would in production) and prints pages/s, the
// ratio and whether the goal - at least twice tiff2pdf's pages/s - is met.
// Usage: bench-tiff2pdf [--runs N] [--keep] (--keep leaves the TIFF and PDFs in /tmp).
// Bounded to well under 30 s. Not a test: exit status 0 when the goal is met, 1 when not,
// 2 when tiff2pdf cannot run.
#include <Poco/Exception.h>
#include <Poco/Process.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "gateway/image/fax_tiff.h"
#include "gateway/image/renderers.h"
#include "gateway/image/tiff_to_pdf.h"

namespace {

using faxgate::gateway::FaxResolution;
using Clock = std::chrono::steady_clock;

constexpr int kPages = 50;
constexpr double kBudgetSeconds = 20;  // stop repeating runs once this much time has gone
constexpr double kGoalRatio = 2.0;

double secondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Business-letter text long enough for kPages fax pages: paragraphs and a table, with the
// line number in each line so no two pages are alike.
std::string letterText() {
    static const char* kParagraph[] = {
        "Thank you for your order of 12 March. We are pleased to confirm delivery of the goods",
        "listed below to your warehouse in Lyon on or before the end of the month. Please check",
        "the quantities against your purchase order and tell us of any difference within eight",
        "days of delivery; after that we will assume the consignment has been accepted in full.",
    };
    std::string text;
    char line[160];
    for (int i = 0; i < kPages * 80; ++i) {
        if (i % 12 < 4) {
            text += kParagraph[i % 4];
        } else {
            std::snprintf(line, sizeof line,
                          "%5d  ART-%05d  Pallet of parts, grade %c  %4d pcs  %9.2f EUR", i,
                          1000 + 37 * i, 'A' + i % 4, 10 * (i % 40 + 1), 123.45 * (i % 97 + 1));
            text += line;
        }
        text += '\n';
    }
    return text;
}

}  // namespace

int main(int argc, char** argv) {
    int runs = 10;
    bool keep = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--runs" && i + 1 < argc) {
            runs = std::clamp(std::atoi(argv[++i]), 1, 100);
        } else if (arg == "--keep") {
            keep = true;
        } else {
            std::fprintf(stderr, "usage: bench-tiff2pdf [--runs N] [--keep]\n");
            return 2;
        }
    }
    const auto benchStart = Clock::now();

    std::vector<faxgate::gateway::FaxPage> pages =
        faxgate::gateway::renderText(letterText(), FaxResolution::Fine, kPages * 2);
    if (pages.size() < static_cast<size_t>(kPages)) {
        std::fprintf(stderr, "renderText made only %zu pages\n", pages.size());
        return 2;
    }
    pages.resize(kPages);
    const std::string tiff = faxgate::gateway::writeFaxTiff(pages);

    char dirPattern[] = "/tmp/bench-tiff2pdf-XXXXXX";
    if (!mkdtemp(dirPattern)) {
        std::perror("mkdtemp");
        return 2;
    }
    const std::filesystem::path dir = dirPattern;
    const auto tiffPath = dir / "fax.tif";
    std::ofstream(tiffPath, std::ios::binary)
        .write(tiff.data(), static_cast<std::streamsize>(tiff.size()));

    // Ours: TIFF bytes in memory -> PDF bytes in memory, as the gateway uses it.
    double oursBest = 1e9;
    size_t pdfBytes = 0;
    const int ourRuns = runs * 10;
    for (int done = 0; done < ourRuns && (done == 0 || secondsSince(benchStart) < kBudgetSeconds);
         ++done) {
        const auto start = Clock::now();
        const std::string pdf = faxgate::gateway::wrapFaxTiffAsPdf(tiff);
        oursBest = std::min(oursBest, secondsSince(start));
        if (done == 0 && keep)
            std::ofstream(dir / "ours.pdf", std::ios::binary)
                .write(pdf.data(), static_cast<std::streamsize>(pdf.size()));
        pdfBytes = pdf.size();
    }

    // tiff2pdf: file in, file out, a process per fax.
    double theirsBest = 1e9;
    const Poco::Process::Args args = {"-o", (dir / "tiff2pdf.pdf").string(), tiffPath.string()};
    for (int done = 0; done < runs && (done == 0 || secondsSince(benchStart) < kBudgetSeconds);
         ++done) {
        const auto start = Clock::now();
        try {
            Poco::ProcessHandle process = Poco::Process::launch("tiff2pdf", args);
            if (process.wait() != 0) {
                std::fprintf(stderr, "tiff2pdf failed\n");
                theirsBest = -1;
                break;
            }
        } catch (const Poco::Exception& e) {
            std::fprintf(stderr, "cannot run tiff2pdf (package libtiff-tools): %s\n",
                         e.displayText().c_str());
            theirsBest = -1;
            break;
        }
        theirsBest = std::min(theirsBest, secondsSince(start));
    }
    std::error_code size;
    const auto theirPdfBytes = std::filesystem::file_size(dir / "tiff2pdf.pdf", size);

    double load[3] = {0, 0, 0};
    if (getloadavg(load, 3) > 0)
        std::printf("load average %.2f on %u cores (other work on the machine slows both tools)\n",
                    load[0], std::thread::hardware_concurrency());
    std::printf("%d-page G4 fax TIFF, %zu KB\n", kPages, tiff.size() / 1024);
    std::printf("%-18s %10s %10s %10s\n", "", "best ms", "pages/s", "PDF KB");
    std::printf("%-18s %10.2f %10.0f %10zu\n", "wrapFaxTiffAsPdf", oursBest * 1000,
                kPages / oursBest, pdfBytes / 1024);
    int status = 0;
    if (theirsBest < 0) {
        std::printf("%-18s %10s\n", "tiff2pdf", "failed");
        status = 2;
    } else {
        const double ratio = theirsBest / oursBest;
        std::printf("%-18s %10.2f %10.0f %10llu\n", "tiff2pdf", theirsBest * 1000,
                    kPages / theirsBest,
                    size ? 0ULL : static_cast<unsigned long long>(theirPdfBytes / 1024));
        std::printf("ratio %.1fx, goal %.1fx: %s\n", ratio, kGoalRatio,
                    ratio >= kGoalRatio ? "met" : "NOT met");
        status = ratio >= kGoalRatio ? 0 : 1;
    }
    std::error_code ignored;
    if (keep)
        std::printf("files kept in %s\n", dir.c_str());
    else
        std::filesystem::remove_all(dir, ignored);
    std::printf("(%.1f s)\n", secondsSince(benchStart));
    return status;
}
