// bench-render: how fast gateway/image turns a PDF into the G4 TIFF a node sends, compared
// with the Ghostscript command fax servers traditionally use:
//   gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg4 -r204x196 -sOutputFile=out.tif in.pdf
// It generates a 1-page and a 50-page business letter (cairo PDF surface: text, a logo,
// a table), measures both tools end to end (best of N runs, wall time; gs spawned, so its
// start-up counts as it does in production), prints pages/s and the ratios, and whether the
// goals are met: 5x gs on 1 page, 1.5x gs's pages/s on 50 pages.
// Usage: bench-render [--runs N] [--keep] (--keep leaves the generated PDFs in /tmp).
// Bounded to well under a minute. Not a test: never fails the build; exit status 0 when the goals
// are met, 1 when not, 2 when gs cannot run.
#include <Poco/Exception.h>
#include <Poco/Process.h>
#include <cairo-pdf.h>
#include <cairo.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "gateway/image/fax_tiff.h"
#include "gateway/image/renderers.h"

namespace {

using faxgate::gateway::FaxResolution;
using Clock = std::chrono::steady_clock;

constexpr double kA4WidthPt = 595.276, kA4HeightPt = 841.89;
constexpr double kBudgetSeconds = 45;  // stop repeating runs once this much time has gone

cairo_status_t appendToString(void* closure, const unsigned char* data, unsigned int length) {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
}

const char* kParagraph[] = {
    "Thank you for your order of 12 March. We are pleased to confirm delivery of the goods",
    "listed below to your warehouse in Lyon on or before the end of the month. Please check",
    "the quantities against your purchase order and tell us of any difference within eight",
    "days of delivery; after that we will assume the consignment has been accepted in full.",
    "Payment is due thirty days from the date of the invoice, by bank transfer to the account",
    "shown at the foot of this page. Do not hesitate to call us with any question.",
};

void drawLetterPage(cairo_t* cr, int pageIndex, int pageCount) {
    // Logo: a filled box with a ring and the company name beside it.
    cairo_set_source_rgb(cr, 0.1, 0.2, 0.5);
    cairo_rectangle(cr, 56, 48, 64, 64);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_set_line_width(cr, 5);
    cairo_arc(cr, 88, 80, 20, 0, 6.2832);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 22);
    cairo_move_to(cr, 132, 78);
    cairo_show_text(cr, "Dupont & Fils Logistics");
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 9);
    cairo_move_to(cr, 132, 96);
    cairo_show_text(cr, "12 rue de la Gare, 69002 Lyon - Tel. +33 4 78 00 00 00");
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, 56, 124);
    cairo_line_to(cr, kA4WidthPt - 56, 124);
    cairo_stroke(cr);

    cairo_set_font_size(cr, 11);
    double y = 170;
    cairo_move_to(cr, 56, y);
    cairo_show_text(cr, "Dear Ms Martin,");
    y += 28;
    for (int repeat = 0; repeat < 3; ++repeat) {
        for (const char* line : kParagraph) {
            cairo_move_to(cr, 56, y);
            cairo_show_text(cr, line);
            y += 15;
        }
        y += 12;
    }
    // A table of the goods.
    cairo_select_font_face(cr, "DejaVu Sans Mono", CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 10);
    for (int row = 0; row < 12; ++row) {
        cairo_rectangle(cr, 56, y, kA4WidthPt - 112, 18);
        cairo_stroke(cr);
        char text[128];
        std::snprintf(text, sizeof text,
                      "%3d  ART-%05d  Pallet of parts, grade %c   %4d pcs   %8.2f EUR", row + 1,
                      1000 + 37 * row, 'A' + row % 4, 10 * (row + 1), 123.45 * (row + 1));
        cairo_move_to(cr, 62, y + 13);
        cairo_show_text(cr, text);
        y += 18;
    }
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 9);
    char footer[64];
    std::snprintf(footer, sizeof footer, "Page %d of %d", pageIndex + 1, pageCount);
    cairo_move_to(cr, kA4WidthPt / 2 - 30, kA4HeightPt - 40);
    cairo_show_text(cr, footer);
}

std::string makeLetterPdf(int pages) {
    std::string pdf;
    cairo_surface_t* surface =
        cairo_pdf_surface_create_for_stream(appendToString, &pdf, kA4WidthPt, kA4HeightPt);
    cairo_t* cr = cairo_create(surface);
    for (int i = 0; i < pages; ++i) {
        drawLetterPage(cr, i, pages);
        cairo_show_page(cr);
    }
    cairo_destroy(cr);
    cairo_surface_finish(surface);
    cairo_surface_destroy(surface);
    return pdf;
}

double secondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// User + system CPU seconds used so far by this process (who = RUSAGE_SELF) or by its
// waited-for children (RUSAGE_CHILDREN). Wall time is what the goals are about, but on a
// busy machine CPU time shows the cost of each tool more steadily.
double cpuSeconds(int who) {
    rusage usage{};
    getrusage(who, &usage);
    return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
           (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

struct Timing {
    double bestWallSeconds = 1e9;
    double cpuSecondsPerRun = 0;
};

// Our renderer, PDF bytes -> G4 TIFF bytes.
Timing timeOurs(const std::string& pdf, int runs, Clock::time_point benchStart, size_t& tiffBytes) {
    Timing timing;
    const double cpuStart = cpuSeconds(RUSAGE_SELF);
    int done = 0;
    for (; done < runs && (done == 0 || secondsSince(benchStart) < kBudgetSeconds); ++done) {
        const auto start = Clock::now();
        const std::string tiff = faxgate::gateway::writeFaxTiff(
            faxgate::gateway::renderPdf(pdf, FaxResolution::Fine, 1000));
        timing.bestWallSeconds = std::min(timing.bestWallSeconds, secondsSince(start));
        tiffBytes = tiff.size();
    }
    timing.cpuSecondsPerRun = (cpuSeconds(RUSAGE_SELF) - cpuStart) / done;
    return timing;
}

// The gs command; bestWallSeconds < 0 if gs failed.
Timing timeGhostscript(const std::filesystem::path& pdfPath, const std::filesystem::path& outPath,
                       int runs, Clock::time_point benchStart) {
    const Poco::Process::Args args = {"-q",
                                      "-dNOPAUSE",
                                      "-dBATCH",
                                      "-dSAFER",
                                      "-sDEVICE=tiffg4",
                                      "-r204x196",
                                      "-sOutputFile=" + outPath.string(),
                                      pdfPath.string()};
    Timing timing;
    const double cpuStart = cpuSeconds(RUSAGE_CHILDREN);
    int done = 0;
    for (; done < runs && (done == 0 || secondsSince(benchStart) < kBudgetSeconds); ++done) {
        const auto start = Clock::now();
        try {
            Poco::ProcessHandle process = Poco::Process::launch("gs", args);
            if (process.wait() != 0) return Timing{-1, 0};
        } catch (const Poco::Exception&) {
            return Timing{-1, 0};
        }
        timing.bestWallSeconds = std::min(timing.bestWallSeconds, secondsSince(start));
    }
    timing.cpuSecondsPerRun = (cpuSeconds(RUSAGE_CHILDREN) - cpuStart) / done;
    return timing;
}

}  // namespace

int main(int argc, char** argv) {
    int runs = 5;
    bool keep = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--runs" && i + 1 < argc) {
            runs = std::clamp(std::atoi(argv[++i]), 1, 50);
        } else if (arg == "--keep") {
            keep = true;
        } else {
            std::fprintf(stderr, "usage: bench-render [--runs N] [--keep]\n");
            return 2;
        }
    }
    const auto benchStart = Clock::now();

    char dirPattern[] = "/tmp/bench-render-XXXXXX";
    if (!mkdtemp(dirPattern)) {
        std::perror("mkdtemp");
        return 2;
    }
    const std::filesystem::path dir = dirPattern;

    struct Case {
        int pages;
        int ourRuns, gsRuns;
        double goal;  // required ratio
    };
    const Case cases[] = {{1, runs * 4, runs, 5.0}, {50, runs, std::max(1, runs / 2), 1.5}};
    bool allMet = true;
    int status = 0;
    double load[3] = {0, 0, 0};
    if (getloadavg(load, 3) > 0)
        std::printf("load average %.2f on %u cores (other work on the machine slows both tools)\n",
                    load[0], std::thread::hardware_concurrency());
    std::printf("%-6s %10s %10s %12s %12s %8s %6s %4s %12s %12s\n", "pages", "ours ms", "gs ms",
                "ours pages/s", "gs pages/s", "ratio", "goal", "met", "ours cpu ms", "gs cpu ms");
    for (const Case& c : cases) {
        const std::string pdf = makeLetterPdf(c.pages);
        const auto pdfPath = dir / ("letter-" + std::to_string(c.pages) + ".pdf");
        std::ofstream(pdfPath, std::ios::binary)
            .write(pdf.data(), static_cast<std::streamsize>(pdf.size()));
        size_t tiffBytes = 0;
        const Timing ours = timeOurs(pdf, c.ourRuns, benchStart, tiffBytes);
        const Timing gs = timeGhostscript(pdfPath, dir / "out.tif", c.gsRuns, benchStart);
        if (gs.bestWallSeconds < 0) {
            std::printf("%-6d %10.1f %10s  (gs failed or is not installed)\n", c.pages,
                        ours.bestWallSeconds * 1000, "-");
            status = 2;
            continue;
        }
        const double ratio = gs.bestWallSeconds / ours.bestWallSeconds;
        const bool met = ratio >= c.goal;
        allMet = allMet && met;
        std::printf(
            "%-6d %10.1f %10.1f %12.1f %12.1f %7.2fx %5.1fx %4s %12.1f %12.1f   (PDF %zu KB, TIFF "
            "%zu KB)\n",
            c.pages, ours.bestWallSeconds * 1000, gs.bestWallSeconds * 1000,
            c.pages / ours.bestWallSeconds, c.pages / gs.bestWallSeconds, ratio, c.goal,
            met ? "yes" : "NO", ours.cpuSecondsPerRun * 1000, gs.cpuSecondsPerRun * 1000,
            pdf.size() / 1024, tiffBytes / 1024);
    }
    std::error_code ignored;
    if (keep)
        std::printf("PDFs kept in %s\n", dir.c_str());
    else
        std::filesystem::remove_all(dir, ignored);
    std::printf("goals %s (%.1f s)\n", allMet && status == 0 ? "met" : "NOT met",
                secondsSince(benchStart));
    if (status != 0) return status;
    return allMet ? 0 : 1;
}
