// encodeG4: every code of the T.4 tables and every coding mode, proved by decoding our output
// with libtiff's independent T.6 decoder and comparing bit for bit with the input: runs of
// every length 0..1728 of both colours, edge pixels, stripes, random pages, and pages of real
// rendered text.
#include "gateway/image/g4_encoder.h"

#include <gtest/gtest.h>

#include <random>

#include "gateway/image/renderers.h"
#include "test_documents.h"

namespace faxgate::gateway {
namespace {

using testing::TempFile;

FaxPage whitePage(int heightPx) {
    FaxPage page;
    page.heightPx = heightPx;
    page.bits.assign(static_cast<size_t>(heightPx) * kFaxRowBytes, 0);
    return page;
}

void setPixel(FaxPage& page, int x, int y, bool black) {
    uint8_t& byte = page.bits[static_cast<size_t>(y) * kFaxRowBytes + x / 8];
    const auto mask = static_cast<uint8_t>(0x80 >> (x % 8));
    byte = black ? (byte | mask) : (byte & ~mask);
}

void fillRun(FaxPage& page, int y, int x0, int length, bool black) {
    for (int x = x0; x < x0 + length; ++x) setPixel(page, x, y, black);
}

// The page decoded by libtiff from a one-strip G4 TIFF holding encodeG4's output raw.
std::vector<uint8_t> decodeWithLibtiff(const std::string& strip, int heightPx) {
    TempFile file;
    TIFF* out = TIFFOpen(file.path().c_str(), "w");
    EXPECT_NE(out, nullptr);
    if (!out) return {};
    TIFFSetField(out, TIFFTAG_IMAGEWIDTH, static_cast<uint32_t>(kFaxPageWidthPx));
    TIFFSetField(out, TIFFTAG_IMAGELENGTH, static_cast<uint32_t>(heightPx));
    TIFFSetField(out, TIFFTAG_BITSPERSAMPLE, 1);
    TIFFSetField(out, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(out, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
    TIFFSetField(out, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
    TIFFSetField(out, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB);
    TIFFSetField(out, TIFFTAG_ROWSPERSTRIP, static_cast<uint32_t>(heightPx));
    TIFFSetField(out, TIFFTAG_GROUP4OPTIONS, 0);
    EXPECT_EQ(TIFFWriteRawStrip(out, 0, const_cast<char*>(strip.data()),
                                static_cast<tmsize_t>(strip.size())),
              static_cast<tmsize_t>(strip.size()));
    TIFFClose(out);

    TIFF* in = TIFFOpen(file.path().c_str(), "r");
    EXPECT_NE(in, nullptr);
    if (!in) return {};
    std::vector<uint8_t> bits(static_cast<size_t>(heightPx) * kFaxRowBytes);
    const tmsize_t decoded =
        TIFFReadEncodedStrip(in, 0, bits.data(), static_cast<tmsize_t>(bits.size()));
    TIFFClose(in);
    EXPECT_EQ(decoded, static_cast<tmsize_t>(bits.size()));
    return bits;
}

// The first differing row, for a readable failure message.
int firstDifferentRow(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
        if (a[i] != b[i]) return static_cast<int>(i / kFaxRowBytes);
    return a.size() == b.size() ? -1
                                : static_cast<int>(std::min(a.size(), b.size()) / kFaxRowBytes);
}

void expectRoundTrip(const FaxPage& page, const std::string& what) {
    SCOPED_TRACE(what);
    const std::string strip = encodeG4(page);
    // EOFB (two EOLs: 000000000001 000000000001) ends the strip, padded to a byte.
    ASSERT_GE(strip.size(), 3u);
    const std::vector<uint8_t> back = decodeWithLibtiff(strip, page.heightPx);
    EXPECT_TRUE(back == page.bits) << "first different row " << firstDifferentRow(back, page.bits);
}

TEST(G4EncoderTest, WhiteRunsOfEveryLength) {
    // Row L: black everywhere except a white run of L pixels, placed at varying offsets so
    // it also touches the left and right edges. Every white make-up and terminating code.
    FaxPage page = whitePage(kFaxPageWidthPx + 1);
    for (int length = 0; length <= kFaxPageWidthPx; ++length) {
        fillRun(page, length, 0, kFaxPageWidthPx, true);
        const int start = (length * 37) % (kFaxPageWidthPx - length + 1);
        fillRun(page, length, start, length, false);
    }
    expectRoundTrip(page, "white runs");
}

TEST(G4EncoderTest, BlackRunsOfEveryLength) {
    FaxPage page = whitePage(kFaxPageWidthPx + 1);
    for (int length = 0; length <= kFaxPageWidthPx; ++length) {
        const int start = (length * 53) % (kFaxPageWidthPx - length + 1);
        fillRun(page, length, start, length, true);
    }
    expectRoundTrip(page, "black runs");
}

TEST(G4EncoderTest, RunPairsInHorizontalModeCoverBothTablesTogether) {
    // Rows alternating with a blank row force horizontal mode (changes far from the
    // reference row's): a white run of w then a black run of b for many (w, b) pairs.
    FaxPage page = whitePage(2 * 400);
    std::mt19937 random(11);
    for (int i = 0; i < 400; ++i) {
        const int white = static_cast<int>(random() % 1000),
                  black = static_cast<int>(random() % 700);
        fillRun(page, 2 * i + 1, white, black, true);
    }
    expectRoundTrip(page, "run pairs");
}

TEST(G4EncoderTest, UniformAndEdgePages) {
    expectRoundTrip(whitePage(2292), "all white");
    FaxPage black = whitePage(2292);
    std::fill(black.bits.begin(), black.bits.end(), 0xFF);
    expectRoundTrip(black, "all black");
    expectRoundTrip(whitePage(1), "one white row");

    FaxPage corners = whitePage(1146);
    setPixel(corners, 0, 0, true);
    setPixel(corners, kFaxPageWidthPx - 1, 0, true);
    setPixel(corners, 0, 1145, true);
    setPixel(corners, kFaxPageWidthPx - 1, 1145, true);
    setPixel(corners, 1, 500, true);
    setPixel(corners, kFaxPageWidthPx - 2, 501, true);
    for (int x = 60; x < 72; ++x) setPixel(corners, x, 700 + (x - 60), true);  // word edge
    expectRoundTrip(corners, "single pixels at the edges");

    FaxPage lastColumn = whitePage(300);
    for (int y = 0; y < 300; ++y) setPixel(lastColumn, kFaxPageWidthPx - 1, y, y % 3 != 0);
    expectRoundTrip(lastColumn, "last column");
}

TEST(G4EncoderTest, Stripes) {
    FaxPage pixels = whitePage(400);  // alternating pixels: a change at every position
    for (int y = 0; y < 400; ++y)
        std::fill_n(pixels.bits.begin() + y * kFaxRowBytes, kFaxRowBytes, y % 2 ? 0x55 : 0xAA);
    expectRoundTrip(pixels, "checkerboard");

    FaxPage vertical = whitePage(400);  // vertical stripes of widths 1..40: V0 rows
    for (int y = 0; y < 400; ++y) {
        const int width = 1 + y / 10;
        for (int x = 0; x < kFaxPageWidthPx; ++x) setPixel(vertical, x, y, (x / width) % 2 == 1);
    }
    expectRoundTrip(vertical, "vertical stripes");

    FaxPage horizontal = whitePage(400);  // full rules: horizontal mode with 1728 runs
    for (int y = 0; y < 400; ++y)
        if ((y / 3) % 2)
            std::fill_n(horizontal.bits.begin() + y * kFaxRowBytes, kFaxRowBytes, 0xFF);
    expectRoundTrip(horizontal, "horizontal stripes");

    FaxPage diagonal = whitePage(1000);  // edges moving by -4..+4 a row: vertical modes VL3..VR3,
    std::mt19937 random(5);              // and pass mode when they move further
    int left = 800, right = 900;
    for (int y = 0; y < 1000; ++y) {
        left = std::clamp(left + static_cast<int>(random() % 9) - 4, 0, 1700);
        right = std::clamp(right + static_cast<int>(random() % 9) - 4, left + 1, kFaxPageWidthPx);
        fillRun(diagonal, y, left, right - left, true);
        if (y % 7 == 0) fillRun(diagonal, y, left + 3, 2, false);
    }
    expectRoundTrip(diagonal, "moving edges");
}

TEST(G4EncoderTest, RandomPages) {
    std::mt19937 random(1234);
    for (int density : {1, 10, 50, 90, 99}) {
        FaxPage page = whitePage(600);
        for (int y = 0; y < 600; ++y)
            for (int x = 0; x < kFaxPageWidthPx; ++x)
                if (static_cast<int>(random() % 100) < density) setPixel(page, x, y, true);
        expectRoundTrip(page, "random pixels, density " + std::to_string(density) + "%");
    }
    // Random runs, with rows often copied from the row above with small changes: all modes.
    FaxPage runs = whitePage(2000);
    for (int y = 0; y < 2000; ++y) {
        if (y > 0 && random() % 3 != 0) {
            std::copy_n(runs.bits.begin() + (y - 1) * kFaxRowBytes, kFaxRowBytes,
                        runs.bits.begin() + y * kFaxRowBytes);
            setPixel(runs, static_cast<int>(random() % kFaxPageWidthPx), y, random() % 2);
            continue;
        }
        bool black = random() % 2;
        for (int x = 0; x < kFaxPageWidthPx;) {
            const int length = 1 + static_cast<int>(random() % (random() % 2 ? 8 : 300));
            fillRun(runs, y, x, std::min(length, kFaxPageWidthPx - x), black);
            x += length;
            black = !black;
        }
    }
    expectRoundTrip(runs, "random runs");
}

TEST(G4EncoderTest, RenderedTextPages) {
    std::string text;
    for (int i = 0; i < 120; ++i)
        text += "Line " + std::to_string(i) +
                ": The quick brown fox jumps over the lazy dog. 0123456789 ({[<>]}) +-*/=\n";
    for (const FaxResolution res : {FaxResolution::Fine, FaxResolution::Normal}) {
        const std::vector<FaxPage> pages = renderText(text, "Heading line", res, 10);
        ASSERT_FALSE(pages.empty());
        for (size_t i = 0; i < pages.size(); ++i)
            expectRoundTrip(pages[i], "text page " + std::to_string(i + 1));
    }
}

TEST(G4EncoderTest, RefusesMalformedPages) {
    FaxPage page = whitePage(10);
    page.bits.pop_back();
    EXPECT_THROW(encodeG4(page), ImageError);
    EXPECT_THROW(encodeG4(FaxPage{}), ImageError);
}

}  // namespace
}  // namespace faxgate::gateway
