// Plain text -> fax pages, typeset with cairo in DejaVu Sans Mono on A4.
//
// The cairo surface has the fax page's own pixels (1728 across, 2292 or 1146 down); the
// context is scaled by (1, verticalDpi / 204) so that user space has square units of 1/204
// inch and glyphs keep their shape on normal-resolution pages. Layout is by character cells:
// cairo's toy font API uses the one font without fallback, so every character, including
// ones the font lacks (drawn as boxes), takes one cell of the monospace advance.
//
// Input handling: invalid UTF-8 becomes U+FFFD (cairo refuses invalid UTF-8), CR LF and CR
// end lines, tabs stop every 8 columns, form feed starts a new page, other control
// characters are dropped. Long lines wrap at the last space that fits, or mid-word if none.
// Trailing blank lines are not printed. Empty text gives one page (with the heading, if any).
//
// Diagnostics: the page limit; "text rendering failed: <cairo status>".
#include <cairo.h>

#include <cmath>
#include <string>

#include "gateway/image/raster.h"
#include "gateway/image/renderers.h"

namespace faxgate::gateway {
namespace {

constexpr const char* kFontFamily = "DejaVu Sans Mono";
constexpr double kFontSizePoints = 10.0;
constexpr double kLineSpacing = 1.2;   // line height as a multiple of the font size
constexpr double kMarginInches = 0.6;  // left, right, top and bottom
constexpr int kTabColumns = 8;
constexpr char32_t kReplacement = 0xFFFD;
constexpr char32_t kPageBreak = 0x0C;   // form feed
constexpr uint8_t kInkThreshold = 128;  // cairo coverage at or above this is black

std::u32string decodeUtf8(std::string_view text) {
    std::u32string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        const auto b0 = static_cast<unsigned char>(text[i]);
        int length = b0 < 0x80           ? 1
                     : (b0 >> 5) == 0x6  ? 2
                     : (b0 >> 4) == 0xE  ? 3
                     : (b0 >> 3) == 0x1E ? 4
                                         : 0;
        if (length == 0 || i + length > text.size()) {
            out.push_back(kReplacement);
            ++i;
            continue;
        }
        char32_t c = length == 1   ? b0
                     : length == 2 ? (b0 & 0x1F)
                     : length == 3 ? (b0 & 0x0F)
                                   : (b0 & 0x07);
        bool valid = true;
        for (int k = 1; k < length; ++k) {
            const auto b = static_cast<unsigned char>(text[i + k]);
            if ((b & 0xC0) != 0x80) {
                valid = false;
                break;
            }
            c = (c << 6) | (b & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF are invalid too.
        static constexpr char32_t kMinimum[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (!valid || c < kMinimum[length] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
            out.push_back(kReplacement);
            ++i;
            continue;
        }
        out.push_back(c);
        i += length;
    }
    return out;
}

void appendUtf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (c >> 6)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (c >> 12)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (c >> 18)));
        out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
}

struct PrintedLine {
    std::string utf8;
    bool bold = false;
};
using PrintedPage = std::vector<PrintedLine>;

// Breaks text into pages of printed lines; throws once more than maxPages would be needed.
class Typesetter {
  public:
    Typesetter(int columns, int linesPerPage, int maxPages)
        : columns_(columns), linesPerPage_(linesPerPage), maxPages_(maxPages) {}

    void addText(std::string_view utf8, bool bold) {
        const std::u32string text = decodeUtf8(utf8);
        std::u32string line;
        for (size_t i = 0; i < text.size(); ++i) {
            const char32_t c = text[i];
            if (c == '\r' || c == '\n') {
                if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
                addLine(line, bold);
                line.clear();
            } else if (c == kPageBreak) {
                if (!line.empty()) addLine(line, bold);
                line.clear();
                newPage();
            } else if (c == '\t') {
                line.append(kTabColumns - line.size() % kTabColumns, U' ');
            } else if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0)) {
                // Control characters print nothing.
            } else {
                line.push_back(c);
            }
        }
        if (!line.empty()) addLine(line, bold);
    }

    void addBlankLine() { addLine(U"", false); }

    std::vector<PrintedPage> finish() {
        // Blank lines (and pages) at the end are not worth paper.
        while (!pages_.empty()) {
            PrintedPage& last = pages_.back();
            while (!last.empty() && last.back().utf8.find_first_not_of(' ') == std::string::npos)
                last.pop_back();
            if (!last.empty() || pages_.size() == 1) break;
            pages_.pop_back();
        }
        if (pages_.empty()) pages_.emplace_back();
        return std::move(pages_);
    }

  private:
    void addLine(std::u32string_view line, bool bold) {
        // Wrap: at the last space within the width, else mid-word.
        do {
            size_t take = line.size();
            size_t skip = 0;
            if (line.size() > static_cast<size_t>(columns_)) {
                const size_t space = line.substr(0, columns_ + 1).rfind(U' ');
                if (space != std::u32string_view::npos && space > 0) {
                    take = space;
                    skip = 1;
                } else {
                    take = columns_;
                }
            }
            PrintedLine printed;
            printed.bold = bold;
            for (char32_t c : line.substr(0, take)) appendUtf8(printed.utf8, c);
            place(std::move(printed));
            line.remove_prefix(take + skip);
        } while (!line.empty());
    }

    void place(PrintedLine line) {
        if (pages_.empty() || static_cast<int>(pages_.back().size()) >= linesPerPage_) newPage();
        pages_.back().push_back(std::move(line));
    }

    void newPage() {
        if (static_cast<int>(pages_.size()) >= maxPages_)
            throw ImageError("the text needs more than " + std::to_string(maxPages_) +
                             " pages, the limit");
        pages_.emplace_back();
    }

    int columns_;
    int linesPerPage_;
    int maxPages_;
    std::vector<PrintedPage> pages_;
};

void checkCairo(cairo_status_t status) {
    if (status != CAIRO_STATUS_SUCCESS)
        throw ImageError(std::string("text rendering failed: ") + cairo_status_to_string(status));
}

// Owns a cairo surface and context; the context user space is 1/204 inch square units.
class TextCanvas {
  public:
    explicit TextCanvas(FaxResolution res) : res_(res) {
        surface_ = cairo_image_surface_create(CAIRO_FORMAT_A8, kFaxPageWidthPx, a4HeightPx(res));
        cr_ = cairo_create(surface_);
        checkCairo(cairo_status(cr_));
        cairo_scale(cr_, 1.0, static_cast<double>(verticalDpi(res)) / kHorizontalDpi);
        cairo_font_options_t* options = cairo_font_options_create();
        // Hinting snaps outlines to a square pixel grid, which ours is not.
        cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
        cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
        cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY);
        cairo_set_font_options(cr_, options);
        cairo_font_options_destroy(options);
        cairo_set_font_size(cr_, kFontSizePoints * kHorizontalDpi / 72.0);
        useFont(false);
        cairo_text_extents_t extents;
        cairo_text_extents(cr_, "M", &extents);
        cairo_font_extents_t font;
        cairo_font_extents(cr_, &font);
        checkCairo(cairo_status(cr_));
        advance_ = extents.x_advance > 0 ? extents.x_advance
                                         : kFontSizePoints * kHorizontalDpi / 72.0 * 0.6;
        ascent_ = font.ascent;
        lineHeight_ = kLineSpacing * kFontSizePoints * kHorizontalDpi / 72.0;
        margin_ = kMarginInches * kHorizontalDpi;
        pageHeight_ = a4HeightPx(res) * static_cast<double>(kHorizontalDpi) / verticalDpi(res);
    }
    ~TextCanvas() {
        cairo_destroy(cr_);
        cairo_surface_destroy(surface_);
    }
    TextCanvas(const TextCanvas&) = delete;
    TextCanvas& operator=(const TextCanvas&) = delete;

    int columns() const { return static_cast<int>((kFaxPageWidthPx - 2 * margin_) / advance_); }
    int linesPerPage() const { return static_cast<int>((pageHeight_ - 2 * margin_) / lineHeight_); }

    FaxPage draw(const PrintedPage& lines) {
        cairo_save(cr_);
        cairo_set_operator(cr_, CAIRO_OPERATOR_CLEAR);
        cairo_paint(cr_);
        cairo_restore(cr_);
        cairo_set_source_rgba(cr_, 0, 0, 0, 1);
        for (size_t i = 0; i < lines.size(); ++i) {
            if (lines[i].utf8.empty()) continue;
            useFont(lines[i].bold);
            cairo_move_to(cr_, margin_, margin_ + ascent_ + static_cast<double>(i) * lineHeight_);
            cairo_show_text(cr_, lines[i].utf8.c_str());
        }
        checkCairo(cairo_status(cr_));
        cairo_surface_flush(surface_);

        FaxPage page = blankPage(res_, a4HeightPx(res_));
        const unsigned char* data = cairo_image_surface_get_data(surface_);
        const int stride = cairo_image_surface_get_stride(surface_);
        for (int y = 0; y < page.heightPx; ++y) {
            const unsigned char* row = data + static_cast<size_t>(y) * stride;
            uint8_t* out = page.bits.data() + static_cast<size_t>(y) * kFaxRowBytes;
            for (int byte = 0; byte < kFaxRowBytes; ++byte) {
                unsigned bits = 0;
                for (int i = 0; i < 8; ++i)
                    bits = (bits << 1) | (row[byte * 8 + i] >= kInkThreshold ? 1u : 0u);
                out[byte] = static_cast<uint8_t>(bits);
            }
        }
        return page;
    }

  private:
    void useFont(bool bold) {
        cairo_select_font_face(cr_, kFontFamily, CAIRO_FONT_SLANT_NORMAL,
                               bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    }

    FaxResolution res_;
    cairo_surface_t* surface_ = nullptr;
    cairo_t* cr_ = nullptr;
    double advance_ = 0, ascent_ = 0, lineHeight_ = 0, margin_ = 0, pageHeight_ = 0;
};

}  // namespace

std::vector<FaxPage> renderText(std::string_view utf8Text, std::string_view heading,
                                FaxResolution res, int maxPages) {
    if (maxPages < 1) throw ImageError("the page limit is below one page");
    TextCanvas canvas(res);
    Typesetter typesetter(canvas.columns(), canvas.linesPerPage(), maxPages);
    if (!heading.empty()) {
        typesetter.addText(heading, true);
        typesetter.addBlankLine();
    }
    typesetter.addText(utf8Text, false);
    std::vector<FaxPage> pages;
    for (const PrintedPage& lines : typesetter.finish()) pages.push_back(canvas.draw(lines));
    return pages;
}

std::vector<FaxPage> renderText(std::string_view utf8Text, FaxResolution res, int maxPages) {
    return renderText(utf8Text, {}, res, maxPages);
}

}  // namespace faxgate::gateway
