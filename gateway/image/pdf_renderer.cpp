// PDF -> fax pages, in-process with MuPDF (libmupdf, linked statically).
//
// Each page is rasterised straight onto the fax grid: MuPDF renders at 204 dpi across and 196
// or 98 dpi down (a non-square scale matrix), so no resampling step is needed. Pages wider
// than 1728 px at 204 dpi (Letter is 1734) are rendered at a slightly lower resolution so they
// fit; narrower ones (A4 is 1687) are centred. Landscape pages wider than Letter are turned a
// quarter so they fill the portrait fax page instead of shrinking. MuPDF's page bounds already
// include the page's /Rotate.
//
// Pages are drawn into an 8-bit gray pixmap with anti-aliasing off: text and rules come out
// pure black on pure white, so they stay crisp, and only real gray (photos, tints) is left
// for the 8x8 ordered dither of raster.h (done here with SSE2), which is what a fax needs.
//
// Threading: MuPDF keeps its shared state (resource store, glyph cache, fonts) in one
// process-wide base context created with our locks; every renderPdf call clones it once per
// worker thread (fz_clone_context), and each worker opens its own pdf_document from the same
// bytes (fz_open_memory), as MuPDF's multi-threading rules require: a document is used by one
// thread only, contexts are never shared. Documents of two or more pages are rendered by two
// workers taking alternate pages. The shared glyph cache means later pages and later
// documents in the same fonts do not rasterise glyphs again.
//
// Errors: MuPDF reports failure by longjmp (fz_try/fz_catch). Every MuPDF call goes through
// callMupdf(), whose fz_try body holds only MuPDF calls and trivially destructible locals, so
// no C++ destructor is ever skipped; a caught error becomes an ImageError with a plain reason.
// MuPDF's warnings and error prints ("repairing PDF document" ...) are silenced: the sender
// gets one plain reason, and the logs stay one line per event.
//
// Speed: measured with bench/render (generated A4 letter pages with text, a halftoned logo and
// a table; PDF -> G4 TIFF bytes end to end; gs = -sDEVICE=tiffg4 -r204x196) on this 2-core
// machine while other builds kept its load average at 3.9-6.9 (so wall ratios vary), CPU
// per page on the 50-page document, ratio = our pages/s over gs's:
//   poppler-cpp Splash mono + libtiff G4 (the previous renderer): 16.5-16.8 ms (gs 13.4-14.4);
//     50 pages 0.95-1.12x, 1 page 11-16x
//   MuPDF gray, page group kept: 19-24 ms (cairo's page /Group made MuPDF draw in RGB+alpha)
//   MuPDF gray, page group dropped + libtiff G4: 10.8-12.0 ms (gs 10.6); 0.92-1.04x
//   + our own G4 coder (g4_encoder.h):  7.7-10.7 ms (gs 9.6-12.7); 1.14-1.18x
//   + SSE2 dither on full-width rows:   5.1-5.6 ms (gs 9.1-10.3); 50 pages 1.62-2.23x,
//     1 page 20-37x (10-11 ms CPU against gs's 170-190 ms start-up and page)
// So MuPDF replaced poppler-cpp (poppler cost ~8 ms/page of rasterising, MuPDF ~3 once the
// page group is gone). What is left per page: MuPDF drawing, the 4 MB gray buffer's clear and
// page faults, G4 coding (~1 ms). The cost of MuPDF: a static library of ~45 MB (its
// built-in fonts) in the binaries that link gateway_image.
//
// Diagnostics: "not a readable PDF", "the PDF is password-protected", "the PDF has no pages",
// "the document has N pages, more than the limit of M", "image too large" (pages over 20000
// rows), "page N of the PDF is unreadable" (MuPDF could not load or draw it).
#include <mupdf/fitz.h>
#include <mupdf/pdf.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstring>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway/image/raster.h"
#include "gateway/image/renderers.h"

namespace faxgate::gateway {
namespace {

constexpr double kPointsPerInch = 72.0;
// Pages at most this much wider than the fax line (Letter: 8.5 in) are not worth turning.
constexpr double kTurnLandscapeAboveInches = 8.6;
// MuPDF's cache of decoded fonts and images, shared by all documents in the process. Letters
// need little; the bound keeps a burst of image-heavy faxes from holding memory.
constexpr size_t kMupdfStoreBytes = 64u << 20;

template <typename Body>
bool callMupdf(fz_context* ctx, Body&& body, std::string* error) {
    // volatile: set after the longjmp back into this frame, so it must not live in a register.
    volatile bool failed = false;
    fz_try(ctx) { body(); }
    fz_catch(ctx) { failed = true; }
    if (failed && error) *error = fz_caught_message(ctx);
    return !failed;
}

void ignoreMupdfMessage(void*, const char*) {
    // See the file comment: reasons reach the sender as ImageError, not via stderr.
}

// The process-wide base context. It is only ever cloned (under cloneMutex), never rendered
// with. Never destroyed: worker contexts of other threads may outlive static destruction.
class MupdfRuntime {
  public:
    static MupdfRuntime& instance() {
        static MupdfRuntime* runtime = new MupdfRuntime();
        return *runtime;
    }

    // A new context for one thread, sharing the store and glyph cache; drop with
    // fz_drop_context. Throws ImageError if MuPDF is out of memory.
    fz_context* cloneForThread() {
        fz_context* ctx = nullptr;
        {
            std::lock_guard<std::mutex> lock(cloneMutex_);
            ctx = fz_clone_context(base_);
        }
        if (!ctx) throw ImageError("out of memory while opening the PDF");
        configure(ctx);
        return ctx;
    }

  private:
    MupdfRuntime() {
        locks_.user = this;
        locks_.lock = [](void* user, int lock) {
            static_cast<MupdfRuntime*>(user)->mutexes_[lock].lock();
        };
        locks_.unlock = [](void* user, int lock) {
            static_cast<MupdfRuntime*>(user)->mutexes_[lock].unlock();
        };
        base_ = fz_new_context(nullptr, &locks_, kMupdfStoreBytes);
        if (!base_) throw ImageError("out of memory while starting the PDF renderer");
        configure(base_);
    }

    static void configure(fz_context* ctx) {
        fz_set_warning_callback(ctx, ignoreMupdfMessage, nullptr);
        fz_set_error_callback(ctx, ignoreMupdfMessage, nullptr);
        // Bilevel output: no anti-aliasing, so edges are decided once, by MuPDF, not
        // re-thresholded by the dither into ragged stems.
        fz_set_aa_level(ctx, 0);
    }

    std::array<std::mutex, FZ_LOCK_MAX> mutexes_;
    fz_locks_context locks_{};
    std::mutex cloneMutex_;
    fz_context* base_ = nullptr;
};

// Whether `resources` (or the forms and patterns they use, to a bounded depth) set a blend
// mode other than Normal. Called inside callMupdf: MuPDF calls only. `budget` bounds the
// objects visited; running out counts as "yes", the safe answer.
bool usesBlendModes(fz_context* ctx, pdf_obj* resources, int depth, int* budget) {
    if (!resources) return false;
    if (depth > 8 || --*budget < 0) return true;
    pdf_obj* states = pdf_dict_get(ctx, resources, PDF_NAME(ExtGState));
    for (int i = 0, n = pdf_dict_len(ctx, states); i < n; ++i) {
        pdf_obj* mode = pdf_dict_get(ctx, pdf_dict_get_val(ctx, states, i), PDF_NAME(BM));
        if (!mode) continue;
        if (--*budget < 0) return true;
        if (!pdf_is_name(ctx, mode)) return true;  // an array of modes: assume the worst
        if (!pdf_name_eq(ctx, mode, PDF_NAME(Normal)) &&
            std::strcmp(pdf_to_name(ctx, mode), "Compatible") != 0)
            return true;
    }
    for (pdf_obj* key : {PDF_NAME(XObject), PDF_NAME(Pattern)}) {
        pdf_obj* objects = pdf_dict_get(ctx, resources, key);
        for (int i = 0, n = pdf_dict_len(ctx, objects); i < n; ++i) {
            pdf_obj* inner =
                pdf_dict_get(ctx, pdf_dict_get_val(ctx, objects, i), PDF_NAME(Resources));
            if (inner == resources) continue;  // a form naming its parent's resources
            if (usesBlendModes(ctx, inner, depth + 1, budget)) return true;
        }
    }
    return false;
}

// Drops the page's transparency group when it makes no difference on paper. Producers such
// as cairo give every page /Group << /S /Transparency /CS /DeviceRGB >>, and MuPDF then
// draws the whole page into an RGB+alpha buffer (16 MB at fax resolution) and converts it to
// gray at the end: that was half our CPU time. Without blend modes, painting straight onto
// the white page gives the same pixels (a group only changes the result of blend modes
// such as Screen or Difference, whose backdrop it replaces). Same rule MuPDF itself applies
// to pages without /Group. Called inside callMupdf.
void dropPageGroupIfUnneeded(fz_context* ctx, pdf_page* page) {
    if (!page->transparency) return;
    int budget = 1000;
    if (!usesBlendModes(ctx, pdf_page_resources(ctx, page), 0, &budget)) page->transparency = 0;
}

// The 8x8 Bayer ordered dither of raster.h (thresholds 16..240, so pure black and white
// pass unchanged and text stays crisp), for rows exactly kFaxPageWidthPx wide.
struct BayerThresholds {
    std::array<std::array<uint8_t, 16>, 8> rows{};  // each row's 8 thresholds, twice
    BayerThresholds() {
        constexpr uint8_t kBayer8[8][8] = {
            {0, 32, 8, 40, 2, 34, 10, 42},  {48, 16, 56, 24, 50, 18, 58, 26},
            {12, 44, 4, 36, 14, 46, 6, 38}, {60, 28, 52, 20, 62, 30, 54, 22},
            {3, 35, 11, 43, 1, 33, 9, 41},  {51, 19, 59, 27, 49, 17, 57, 25},
            {15, 47, 7, 39, 13, 45, 5, 37}, {63, 31, 55, 23, 61, 29, 53, 21},
        };
        for (int y = 0; y < 8; ++y)
            for (int x = 0; x < 16; ++x)
                rows[y][x] = static_cast<uint8_t>(
                    16 + std::lround((kBayer8[y][x % 8] + 0.5) * 224.0 / 64.0));
    }
};
const BayerThresholds kThresholds;

// Bit order of a byte reversed: SSE2's movemask puts pixel 0 in bit 0, a fax row in bit 7.
struct ReversedBytes {
    std::array<uint8_t, 256> table{};
    ReversedBytes() {
        for (int i = 0; i < 256; ++i) {
            int r = 0;
            for (int b = 0; b < 8; ++b) r |= ((i >> b) & 1) << (7 - b);
            table[i] = static_cast<uint8_t>(r);
        }
    }
};
const ReversedBytes kReversed;

// Gray rows (kFaxPageWidthPx bytes each, 0 = black) -> fax rows: black where darker than
// the dither threshold. 16 pixels per step with SSE2 (this ran at a sixth of our CPU time
// pixel by pixel).
void ditherRows(const uint8_t* gray, int rows, uint8_t* out) {
    for (int y = 0; y < rows; ++y) {
        const uint8_t* src = gray + static_cast<size_t>(y) * kFaxPageWidthPx;
        uint8_t* dst = out + static_cast<size_t>(y) * kFaxRowBytes;
        const uint8_t* thresholds = kThresholds.rows[y & 7].data();
#if defined(__SSE2__)
        // Unsigned a < b as signed compare after flipping the top bits of both.
        const __m128i bias = _mm_set1_epi8(static_cast<char>(0x80));
        const __m128i limit =
            _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(thresholds)), bias);
        for (int x = 0; x < kFaxPageWidthPx; x += 16) {
            const __m128i pixels =
                _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + x)), bias);
            const int black = _mm_movemask_epi8(_mm_cmplt_epi8(pixels, limit));
            dst[x / 8] = kReversed.table[black & 0xFF];
            dst[x / 8 + 1] = kReversed.table[(black >> 8) & 0xFF];
        }
#else
        for (int byte = 0; byte < kFaxRowBytes; ++byte) {
            unsigned bits = 0;
            for (int i = 0; i < 8; ++i)
                bits = (bits << 1) | (src[byte * 8 + i] < thresholds[i] ? 1u : 0u);
            dst[byte] = static_cast<uint8_t>(bits);
        }
#endif
    }
}

// One worker's MuPDF state: its own context and its own open document. Not thread-safe.
class WorkerDocument {
  public:
    // Opens `pdf` (which must outlive this). Throws ImageError with a plain reason.
    explicit WorkerDocument(std::string_view pdf) {
        fz_context* ctx = context_.ctx;
        pdf_document* doc = nullptr;
        fz_stream* stream = nullptr;
        const bool opened = callMupdf(
            ctx,
            [&] {
                stream = fz_open_memory(ctx, reinterpret_cast<const unsigned char*>(pdf.data()),
                                        pdf.size());
                doc = pdf_open_document_with_stream(ctx, stream);
            },
            nullptr);
        // The document holds its own reference to the stream.
        fz_drop_stream(ctx, stream);
        document_.doc = doc;
        if (!opened) throw ImageError("not a readable PDF");
        // MuPDF tries the empty user password itself, so only a real password says yes.
        int needsPassword = 0;
        if (!callMupdf(
                ctx, [&] { needsPassword = pdf_needs_password(ctx, doc); }, nullptr))
            throw ImageError("not a readable PDF");
        if (needsPassword) throw ImageError("the PDF is password-protected");
    }

    int pageCount() {
        int count = 0;
        fz_context* ctx = context_.ctx;
        pdf_document* doc = document_.doc;
        if (!callMupdf(
                ctx, [&] { count = pdf_count_pages(ctx, doc); }, nullptr))
            throw ImageError("not a readable PDF");
        return count;
    }

    // Renders page `index` onto one fax page (longer than A4 only if the page is).
    FaxPage renderPage(int index, FaxResolution res);

  private:
    // Members, not constructor code, own the context and document, so that a constructor
    // that throws half-way still releases what it got (the document goes first).
    struct OwnContext {
        fz_context* ctx = MupdfRuntime::instance().cloneForThread();
        OwnContext() = default;
        OwnContext(const OwnContext&) = delete;
        OwnContext& operator=(const OwnContext&) = delete;
        ~OwnContext() { fz_drop_context(ctx); }
    };
    struct OwnDocument {
        fz_context* ctx;
        pdf_document* doc = nullptr;
        explicit OwnDocument(fz_context* context) : ctx(context) {}
        OwnDocument(const OwnDocument&) = delete;
        OwnDocument& operator=(const OwnDocument&) = delete;
        ~OwnDocument() { fz_drop_document(ctx, reinterpret_cast<fz_document*>(doc)); }
    };

    OwnContext context_;
    OwnDocument document_{context_.ctx};
    std::vector<uint8_t> gray_;  // the page's gray pixels, reused from page to page
};

std::string pageReason(int index, const char* what) {
    return "page " + std::to_string(index + 1) + " of the PDF " + what;
}

FaxPage WorkerDocument::renderPage(int index, FaxResolution res) {
    fz_context* ctx = context_.ctx;
    fz_document* doc = reinterpret_cast<fz_document*>(document_.doc);
    fz_page* page = nullptr;
    fz_rect bounds{};
    if (!callMupdf(
            ctx,
            [&] {
                page = fz_load_page(ctx, doc, index);
                bounds = fz_bound_page(ctx, page);
                dropPageGroupIfUnneeded(ctx, reinterpret_cast<pdf_page*>(page));
            },
            nullptr)) {
        fz_drop_page(ctx, page);
        throw ImageError(pageReason(index, "is unreadable"));
    }
    // Dropped on every way out, including the ImageErrors below.
    struct PageGuard {
        fz_context* ctx;
        fz_page* page;
        ~PageGuard() { fz_drop_page(ctx, page); }
    } guard{ctx, page};

    double widthInches = (bounds.x1 - bounds.x0) / kPointsPerInch;
    double heightInches = (bounds.y1 - bounds.y0) / kPointsPerInch;
    if (!(widthInches > 0.01 && heightInches > 0.01))
        throw ImageError(pageReason(index, "has no size"));

    const bool turn = widthInches > heightInches && widthInches > kTurnLandscapeAboveInches;
    if (turn) std::swap(widthInches, heightInches);
    const double fit = std::min(1.0, kFaxPageWidthPx / (widthInches * kHorizontalDpi));
    const double xDpi = kHorizontalDpi * fit;
    const double yDpi = verticalDpi(res) * fit;
    if (heightInches * yDpi > kMaxImageSidePx)
        throw ImageError("image too large: page " + std::to_string(index + 1) + " of the PDF is " +
                         std::to_string(std::lround(heightInches)) + " inches long");

    fz_matrix ctm = fz_scale(static_cast<float>(xDpi / kPointsPerInch),
                             static_cast<float>(yDpi / kPointsPerInch));
    if (turn) ctm = fz_concat(fz_rotate(90), ctm);
    const fz_rect placed = fz_transform_rect(bounds, ctm);
    const int contentWidth =
        std::clamp(static_cast<int>(std::ceil(widthInches * xDpi - 0.01)), 1, kFaxPageWidthPx);
    const int height = std::max(1, static_cast<int>(std::ceil(heightInches * yDpi - 0.01)));
    // The pixmap spans the whole fax line, the page centred on it, so rows need no shifting;
    // drawing is clipped to the page itself, so the margins stay white paper.
    const int left = (kFaxPageWidthPx - contentWidth) / 2;
    fz_irect pageArea;
    pageArea.x0 = static_cast<int>(std::floor(placed.x0 + 0.001f));
    pageArea.y0 = static_cast<int>(std::floor(placed.y0 + 0.001f));
    pageArea.x1 = pageArea.x0 + contentWidth;
    pageArea.y1 = pageArea.y0 + height;
    fz_irect lineArea = pageArea;
    lineArea.x0 = pageArea.x0 - left;
    lineArea.x1 = lineArea.x0 + kFaxPageWidthPx;

    const size_t grayBytes = static_cast<size_t>(kFaxPageWidthPx) * static_cast<size_t>(height);
    if (gray_.size() < grayBytes) gray_.resize(grayBytes);
    std::fill_n(gray_.begin(), grayBytes, uint8_t{255});  // white paper
    unsigned char* samples = gray_.data();

    fz_pixmap* pixmap = nullptr;
    fz_device* device = nullptr;
    const bool drawn = callMupdf(
        ctx,
        [&] {
            pixmap = fz_new_pixmap_with_bbox_and_data(ctx, fz_device_gray(ctx), lineArea, nullptr,
                                                      0, samples);
            device = fz_new_draw_device_with_bbox(ctx, fz_identity, pixmap, &pageArea);
            fz_run_page(ctx, page, device, ctm, nullptr);
            fz_close_device(ctx, device);
        },
        nullptr);
    fz_drop_device(ctx, device);
    fz_drop_pixmap(ctx, pixmap);
    if (!drawn) throw ImageError(pageReason(index, "is unreadable"));

    FaxPage out = blankPage(res, std::max(a4HeightPx(res), height));
    ditherRows(gray_.data(), height, out.bits.data());
    return out;
}

}  // namespace

std::vector<FaxPage> renderPdf(std::string_view pdf, FaxResolution res, int maxPages) {
    WorkerDocument first(pdf);
    const int pageCount = first.pageCount();
    if (pageCount <= 0) throw ImageError("the PDF has no pages");
    if (pageCount > maxPages)
        throw ImageError("the document has " + std::to_string(pageCount) +
                         " pages, more than the limit of " + std::to_string(maxPages));

    std::vector<FaxPage> pages(pageCount);
    const int threads = pageCount >= 2 && std::thread::hardware_concurrency() >= 2 ? 2 : 1;
    if (threads == 1) {
        for (int i = 0; i < pageCount; ++i) pages[i] = first.renderPage(i, res);
        return pages;
    }

    // Two workers on alternate pages; the first error stops both and is rethrown.
    std::atomic<bool> failed{false};
    std::exception_ptr helperError;
    std::thread helper([&] {
        try {
            WorkerDocument own(pdf);
            for (int i = 1; i < pageCount && !failed.load(); i += 2)
                pages[i] = own.renderPage(i, res);
        } catch (...) {
            helperError = std::current_exception();
            failed = true;
        }
    });
    try {
        for (int i = 0; i < pageCount && !failed.load(); i += 2)
            pages[i] = first.renderPage(i, res);
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
