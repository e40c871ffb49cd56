// Test documents for the T.30 session tests, made and read with libtiff: G4 TIFFs of 1728 px
// wide fine-resolution pages, each with its own pattern, and a decoder that turns any
// bilevel TIFF (G3 or G4, as SpanDSP writes what it received) back into rows of bits so two
// documents can be compared pixel for pixel.
#pragma once

#include <tiffio.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/faxnode/test_tiff.h"

namespace faxgate::node::fax::testing {

constexpr uint32_t kPageWidthPx = 1728;
constexpr std::size_t kRowBytes = kPageWidthPx / 8;

// One bilevel page: heightPx rows of kRowBytes, most significant bit first, 1 = black.
struct BilevelPage {
    uint32_t widthPx = 0;
    uint32_t heightPx = 0;
    std::vector<uint8_t> bits;
    bool operator==(const BilevelPage&) const = default;
};

// Black pixels in rows [y0, y1) of a page.
inline int countBlack(const BilevelPage& page, uint32_t y0, uint32_t y1) {
    const std::size_t rowBytes = (page.widthPx + 7) / 8;
    int n = 0;
    for (std::size_t i = y0 * rowBytes; i < y1 * rowBytes && i < page.bits.size(); ++i) {
        n += __builtin_popcount(page.bits[i]);
    }
    return n;
}

// How GoogleTest shows a page in a failed comparison.
inline void PrintTo(const BilevelPage& page, std::ostream* os) {
    *os << page.widthPx << "x" << page.heightPx << " page with "
        << countBlack(page, 0, page.heightPx) << " black pixels";
}

// Page `page` of a test document: a frame, a black box whose place depends on the page
// number, and diagonal stripes whose spacing depends on it too, so pages differ from each
// other and a swapped or repeated page shows.
inline BilevelPage patternPage(int page, uint32_t heightPx) {
    BilevelPage p{kPageWidthPx, heightPx, std::vector<uint8_t>(kRowBytes * heightPx, 0)};
    auto set = [&](uint32_t x, uint32_t y) { p.bits[y * kRowBytes + x / 8] |= 0x80 >> (x % 8); };
    const uint32_t boxX = 100 + 400 * static_cast<uint32_t>(page % 4);
    const uint32_t spacing = 23 + 7 * static_cast<uint32_t>(page);
    for (uint32_t y = 0; y < heightPx; ++y) {
        for (uint32_t x = 0; x < kPageWidthPx; ++x) {
            const bool frame = y < 4 || y >= heightPx - 4 || x < 4 || x >= kPageWidthPx - 4;
            const bool box = y >= 40 && y < 120 && x >= boxX && x < boxX + 200;
            const bool stripe = (x + 2 * y) % spacing < 3;
            if (frame || box || stripe) set(x, y);
        }
    }
    return p;
}

// Writes `pages` pattern pages of heightPx rows as a G4 (T.6) TIFF at 204x196 dpi.
inline void writePatternTiff(const std::string& path, int pages, uint32_t heightPx = 300) {
    std::vector<BilevelPage> patterns;
    for (int page = 0; page < pages; ++page) patterns.push_back(patternPage(page, heightPx));
    node::testing::writeG4FaxTiff(
        path, pages, heightPx, [&](int page, uint32_t y, unsigned char* row) {
            const uint8_t* bits = patterns[static_cast<std::size_t>(page)].bits.data();
            std::copy(bits + y * kRowBytes, bits + (y + 1) * kRowBytes, row);
        });
}

// Every page of a bilevel TIFF as rows of bits (1 = black whatever the photometric tag).
inline std::vector<BilevelPage> readBilevelTiff(const std::string& path) {
    std::vector<BilevelPage> pages;
    TIFF* tiff = TIFFOpen(path.c_str(), "r");
    if (tiff == nullptr) throw std::runtime_error("cannot open " + path);
    do {
        BilevelPage p;
        uint16_t photometric = PHOTOMETRIC_MINISWHITE;
        TIFFGetField(tiff, TIFFTAG_IMAGEWIDTH, &p.widthPx);
        TIFFGetField(tiff, TIFFTAG_IMAGELENGTH, &p.heightPx);
        TIFFGetField(tiff, TIFFTAG_PHOTOMETRIC, &photometric);
        const std::size_t rowBytes = (p.widthPx + 7) / 8;
        p.bits.resize(rowBytes * p.heightPx);
        for (uint32_t y = 0; y < p.heightPx; ++y) {
            if (TIFFReadScanline(tiff, p.bits.data() + y * rowBytes, y, 0) < 0) {
                TIFFClose(tiff);
                throw std::runtime_error("cannot decode row " + std::to_string(y) + " of " + path);
            }
        }
        if (photometric == PHOTOMETRIC_MINISBLACK) {
            for (uint8_t& byte : p.bits) byte = static_cast<uint8_t>(~byte);
        }
        pages.push_back(std::move(p));
    } while (TIFFReadDirectory(tiff));
    TIFFClose(tiff);
    return pages;
}

using node::testing::TempDir;

}  // namespace faxgate::node::fax::testing
