// PDF -> fax pages, in-process with poppler-cpp (Splash backend).
//
// Each page is rasterised straight onto the fax grid: poppler renders at 204 dpi across and
// 196 or 98 dpi down (non-square pixels are native to Splash), so no resampling step is
// needed. Pages wider than 1728 px at 204 dpi (Letter is 1734) are rendered at a slightly
// lower resolution so they fit; narrower ones (A4 is 1687) are centred. Landscape pages wider
// than Letter are turned a quarter so they fill the portrait fax page instead of shrinking.
//
// Pages are rendered by Splash straight to 1 bit per pixel (poppler's format_mono): text
// and rules are drawn without anti-aliasing, so they are crisp, and gray (photos, tints)
// goes through Splash's dispersed-dot halftone screen, which is what a fax needs. This is
// three times faster than rendering 8-bit gray and dithering it ourselves (7 ms vs 20-37 ms
// of CPU for a letter page here), and the 1-bit rows only need inverting and shifting into
// place.
//
// Speed: documents of two or more pages are rendered by two threads, each with its own
// poppler::document loaded from the same bytes, taking alternate pages (poppler documents
// are not thread-safe, separate documents are); writeFaxTiff codes pages on two threads too.
// Measured with bench/render (generated A4 letter pages with text, a halftoned logo and a
// table; PDF -> G4 TIFF bytes end to end; gs = -sDEVICE=tiffg4 -r204x196), on this 2-core
// machine while other builds kept its load average at 4.6-5.7, so all figures are inflated:
//   1 page:   ours 15.8-20.4 ms wall (17 ms CPU)  vs gs 257-275 ms (172-190 ms CPU): 13-16x
//   50 pages: ours 846-896 ms wall (600 ms CPU)   vs gs 696-717 ms (471-478 ms CPU): 0.8x
// The 1-page goal (5x) is met by far: gs's start-up dominates. The 50-page goal (1.5x) is not
// met on the loaded machine: per page we spend about 12 ms of CPU (poppler-cpp about 8 - it
// builds a new Splash output device for every page and its API cannot keep one - and
// libtiff's G4 coder about 4) against gs's 10 ms, so only the second core puts us ahead, and a
// loaded machine takes that core away. Poppler's 8-bit gray output was tried first and was
// slower still. Next steps if this matters: our own G4 coder (libtiff's is a third of our
// CPU), or MuPDF (libmupdf-dev) instead of poppler-cpp.
//
// Diagnostics: "not a readable PDF", "the PDF is password-protected", "the PDF has no pages",
// "the document has N pages, more than the limit of M", "image too large" (pages over
// 20000 rows). Poppler's own messages are silenced process-wide (set_debug_error_function).
#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-image.h>
#include <poppler/cpp/poppler-page-renderer.h>
#include <poppler/cpp/poppler-page.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "gateway/image/raster.h"
#include "gateway/image/renderers.h"

namespace faxgate::gateway {
namespace {

constexpr double kPointsPerInch = 72.0;
// Pages at most this much wider than the fax line (Letter: 8.5 in) are not worth turning.
constexpr double kTurnLandscapeAboveInches = 8.6;

void ignorePopplerMessage(const std::string&, void*) {
    // poppler prints every syntax error of a damaged file to stderr; the caller gets a
    // plain ImageError instead, and the logs stay one line per event.
}

void silencePoppler() {
    static std::once_flag once;
    std::call_once(once, [] { poppler::set_debug_error_function(ignorePopplerMessage, nullptr); });
}

std::unique_ptr<poppler::document> loadDocument(std::string_view pdf) {
    if (pdf.size() > static_cast<size_t>(INT_MAX)) throw ImageError("the PDF is too large");
    std::unique_ptr<poppler::document> doc(
        poppler::document::load_from_raw_data(pdf.data(), static_cast<int>(pdf.size())));
    if (!doc) {
        // poppler refuses to open some encrypted files outright instead of returning a
        // locked document; the /Encrypt key tells the two cases apart for the sender.
        if (pdf.find("/Encrypt") != std::string_view::npos)
            throw ImageError("the PDF is password-protected");
        throw ImageError("not a readable PDF");
    }
    if (doc->is_locked()) throw ImageError("the PDF is password-protected");
    return doc;
}

// Splash's 1-bit rows (MSB first, 1 = white, padded to whole bytes) -> fax rows, inverted
// and centred on the 1728 line: whole bytes shifted, never pixel by pixel.
void packMonoRows(const uint8_t* mono, size_t strideBytes, int widthPx, int rows, uint8_t* out) {
    const int left = (kFaxPageWidthPx - widthPx) / 2;
    const int firstByte = left / 8, shift = left % 8;
    const int sourceBytes = (widthPx + 7) / 8;
    // Bits past the width in the last source byte are padding, not ink.
    const uint8_t lastMask = static_cast<uint8_t>(0xFF << ((8 - widthPx % 8) % 8));
    for (int y = 0; y < rows; ++y) {
        const uint8_t* src = mono + static_cast<size_t>(y) * strideBytes;
        uint8_t* dst = out + static_cast<size_t>(y) * kFaxRowBytes + firstByte;
        for (int i = 0; i < sourceBytes; ++i) {
            uint8_t ink = static_cast<uint8_t>(~src[i]);
            if (i == sourceBytes - 1) ink &= lastMask;
            if (shift == 0) {
                dst[i] = ink;
            } else {
                dst[i] |= static_cast<uint8_t>(ink >> shift);
                // The spill-over byte exists: left + widthPx <= 1728 and shift > 0.
                if (firstByte + i + 1 < kFaxRowBytes)
                    dst[i + 1] = static_cast<uint8_t>(ink << (8 - shift));
            }
        }
    }
}

// Renders one page onto one fax page (longer than A4 only if the page is).
FaxPage renderPage(poppler::document& doc, int index, FaxResolution res) {
    std::unique_ptr<poppler::page> page(doc.create_page(index));
    if (!page) throw ImageError("page " + std::to_string(index + 1) + " of the PDF is unreadable");

    const poppler::rectf box = page->page_rect(poppler::crop_box);
    double widthInches = std::abs(box.width()) / kPointsPerInch;
    double heightInches = std::abs(box.height()) / kPointsPerInch;
    const auto orientation = page->orientation();
    if (orientation == poppler::page::landscape || orientation == poppler::page::seascape)
        std::swap(widthInches, heightInches);
    if (!(widthInches > 0.01 && heightInches > 0.01))
        throw ImageError("page " + std::to_string(index + 1) + " of the PDF has no size");

    poppler::rotation_enum turn = poppler::rotate_0;
    if (widthInches > heightInches && widthInches > kTurnLandscapeAboveInches) {
        turn = poppler::rotate_90;
        std::swap(widthInches, heightInches);
    }
    const double fit = std::min(1.0, kFaxPageWidthPx / (widthInches * kHorizontalDpi));
    const double xDpi = kHorizontalDpi * fit;
    const double yDpi = verticalDpi(res) * fit;
    const double rows = heightInches * yDpi;
    if (rows > kMaxImageSidePx)
        throw ImageError("image too large: page " + std::to_string(index + 1) + " of the PDF is " +
                         std::to_string(std::lround(heightInches)) + " inches long");

    poppler::page_renderer renderer;
    renderer.set_image_format(poppler::image::format_mono);
    renderer.set_paper_color(0xFFFFFFFF);
    // poppler-cpp 22.12 copies Splash's 1-bit rows (padded to 4 bytes) as if they were padded
    // to 1 byte, shearing the picture and losing its last rows, unless a row is a whole
    // number of 32-bit words. So we ask for a slice that wide: the extra columns on the right
    // are paper, and only contentWidth columns are used.
    const int contentWidth =
        std::clamp(static_cast<int>(std::ceil(widthInches * xDpi - 0.01)), 1, kFaxPageWidthPx);
    const int sliceWidth = (contentWidth + 31) / 32 * 32;  // <= 1728, which is 54 * 32
    const int height = std::max(1, static_cast<int>(std::ceil(heightInches * yDpi - 0.01)));
    const poppler::image image =
        renderer.render_page(page.get(), xDpi, yDpi, 0, 0, sliceWidth, height, turn);
    if (!image.is_valid() || image.format() != poppler::image::format_mono ||
        image.width() != sliceWidth || image.height() != height ||
        image.bytes_per_row() != sliceWidth / 8)
        throw ImageError("page " + std::to_string(index + 1) + " of the PDF could not be drawn");

    FaxPage out = blankPage(res, std::max(a4HeightPx(res), height));
    packMonoRows(reinterpret_cast<const uint8_t*>(image.const_data()),
                 static_cast<size_t>(image.bytes_per_row()), contentWidth, height, out.bits.data());
    return out;
}

}  // namespace

std::vector<FaxPage> renderPdf(std::string_view pdf, FaxResolution res, int maxPages) {
    silencePoppler();
    std::unique_ptr<poppler::document> doc = loadDocument(pdf);
    const int pageCount = doc->pages();
    if (pageCount <= 0) throw ImageError("the PDF has no pages");
    if (pageCount > maxPages)
        throw ImageError("the document has " + std::to_string(pageCount) +
                         " pages, more than the limit of " + std::to_string(maxPages));

    std::vector<FaxPage> pages(pageCount);
    const int threads = pageCount >= 2 && std::thread::hardware_concurrency() >= 2 ? 2 : 1;
    if (threads == 1) {
        for (int i = 0; i < pageCount; ++i) pages[i] = renderPage(*doc, i, res);
        return pages;
    }

    // Two workers on alternate pages; the first error stops both and is rethrown.
    std::atomic<bool> failed{false};
    std::exception_ptr helperError;
    std::thread helper([&] {
        try {
            std::unique_ptr<poppler::document> own = loadDocument(pdf);
            for (int i = 1; i < pageCount && !failed.load(); i += 2)
                pages[i] = renderPage(*own, i, res);
        } catch (...) {
            helperError = std::current_exception();
            failed = true;
        }
    });
    try {
        for (int i = 0; i < pageCount && !failed.load(); i += 2)
            pages[i] = renderPage(*doc, i, res);
    } catch (...) {
        failed = true;
        helper.join();
        throw;
    }
    helper.join();
    if (helperError) std::rethrow_exception(helperError);
    return pages;
}

}  // namespace faxgate::gateway
