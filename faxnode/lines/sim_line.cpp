// The simulated fax line; see sim_line.h.
#include "faxnode/lines/sim_line.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "common/tiff_info.h"

namespace faxgate::node {
namespace {

int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::optional<std::regex> compilePattern(const std::string& setting, const std::string& pattern) {
    if (pattern.empty()) return std::nullopt;
    try {
        return std::regex(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& error) {
        throw std::invalid_argument(setting + ": not a valid regular expression \"" + pattern +
                                    "\": " + error.what());
    }
}

bool matches(const std::optional<std::regex>& pattern, const std::string& number) {
    return pattern && std::regex_match(number, *pattern);
}

// Sleeps `durationMs` in slices short enough that a cancel is seen within ~10 ms.
// Returns false if cancelled.
bool sleepUnlessCancelled(int64_t durationMs, const std::atomic<bool>& cancel) {
    constexpr int64_t kSliceMs = 10;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(durationMs);
    while (!cancel.load()) {
        auto now = std::chrono::steady_clock::now();
        if (now >= deadline) return true;
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
            deadline - now, std::chrono::milliseconds(kSliceMs)));
    }
    return false;
}

std::string pagesInWords(int pages) {
    return std::to_string(pages) + (pages == 1 ? " page" : " pages");
}

}  // namespace

std::string formatSeconds(int64_t durationMs) {
    char text[32];
    if (durationMs % 1000 == 0) {
        std::snprintf(text, sizeof text, "%lld s", static_cast<long long>(durationMs / 1000));
    } else if (durationMs % 100 == 0) {
        std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(durationMs) / 1000.0);
    } else {
        std::snprintf(text, sizeof text, "%.2f s", static_cast<double>(durationMs) / 1000.0);
    }
    return text;
}

SimLine::SimLine(LineSettings line, SimSettings sim)
    : line_(std::move(line)), options_(std::move(sim)) {
    if (options_.dialMs < 0) throw std::invalid_argument("sim.dial_ms: must not be negative");
    if (options_.pageMs < 0) throw std::invalid_argument("sim.page_ms: must not be negative");
    if (options_.failAfterPages < 0) {
        throw std::invalid_argument("sim.fail_after_pages: must not be negative");
    }
    busy_ = compilePattern("sim.busy", options_.busyPattern);
    noAnswer_ = compilePattern("sim.no_answer", options_.noAnswerPattern);
    noCarrier_ = compilePattern("sim.no_carrier", options_.noCarrierPattern);
    fail_ = compilePattern("sim.fail", options_.failPattern);
}

CallResult SimLine::send(const OutboundCall& call, const std::atomic<bool>& cancel) {
    CallResult out;
    out.startedMs = nowMs();
    out.pagesTotal = call.pagesTotal;
    auto finish = [&](const char* result, std::string reason) {
        out.result = result;
        out.reason = std::move(reason);
        out.endedMs = nowMs();
        return out;
    };

    // A real driver must read the document before it dials; so does the sim, so a broken
    // upload fails here the same way it would on a real line.
    TiffPageCount count = countTiffPages(call.tiffPath, options_.maxPages);
    if (!count.ok())
        return finish(call_result::kFailed, "the document cannot be sent: " + count.error);
    out.pagesTotal = count.pages;

    if (!sleepUnlessCancelled(options_.dialMs, cancel)) {
        return finish(call_result::kCancelled, "cancelled while dialling");
    }
    if (matches(busy_, call.number)) return finish(call_result::kBusy, "the number was busy");
    if (matches(noAnswer_, call.number)) {
        return finish(call_result::kNoAnswer, "no answer after " + formatSeconds(options_.dialMs));
    }
    if (matches(noCarrier_, call.number)) {
        return finish(call_result::kNoCarrier,
                      "the call dropped before the fax session started (no carrier)");
    }

    // Connected: the fax session has started.
    if (!options_.remoteCsid.empty()) {
        out.remoteCsid = options_.remoteCsid;
    } else {
        out.remoteCsid = "+";
        for (char c : call.number) {
            if (c >= '0' && c <= '9') out.remoteCsid += c;
        }
    }
    out.bitRate = line_.maxBitRate;
    out.ecm = line_.ecm;

    // Pages before the simulated failure; a failure point past the last page is never reached.
    int failAfter = matches(fail_, call.number) ? options_.failAfterPages : -1;
    for (int page = 1; page <= out.pagesTotal; ++page) {
        if (page == failAfter + 1) {
            // Drop halfway through the page: it is sent in part and never confirmed.
            if (!sleepUnlessCancelled(options_.pageMs / 2, cancel)) break;
            return finish(call_result::kFailed, "the call dropped while sending page " +
                                                    std::to_string(page) + " after " +
                                                    pagesInWords(out.pages) + " confirmed");
        }
        if (!sleepUnlessCancelled(options_.pageMs, cancel)) break;
        out.pages = page;
    }
    if (out.pages < out.pagesTotal) {  // the loop only stops early when cancelled
        return finish(call_result::kCancelled,
                      "cancelled after " + pagesInWords(out.pages) + " confirmed");
    }
    return finish(call_result::kOk, "all pages confirmed by the receiver");
}

}  // namespace faxgate::node
