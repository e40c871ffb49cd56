// renderTiff: fax TIFFs keep their pixels (rows mapped between resolutions), other TIFFs are
// scaled by their resolution; limits and garbage.
#include <gtest/gtest.h>

#include "gateway/image/fax_tiff.h"
#include "gateway/image/renderers.h"
#include "test_documents.h"

namespace faxgate::gateway {
namespace {

using namespace testing;

// A bilevel 1728-wide page where row y has its first byte = y & 0xFF (MSB first, 1 = black).
TiffPageSpec faxSpec(int rows, float yDpi, uint16_t photometric = PHOTOMETRIC_MINISWHITE) {
    TiffPageSpec spec;
    spec.width = 1728;
    spec.height = rows;
    spec.bitsPerSample = 1;
    spec.photometric = photometric;
    spec.compression = COMPRESSION_CCITTFAX3;
    spec.xDpi = 204;
    spec.yDpi = yDpi;
    spec.samples.assign(static_cast<size_t>(rows) * 216, 0);
    for (int y = 0; y < rows; ++y) {
        uint8_t v = static_cast<uint8_t>(y & 0xFF);
        spec.samples[static_cast<size_t>(y) * 216] = photometric == PHOTOMETRIC_MINISWHITE ? v : ~v;
        if (photometric == PHOTOMETRIC_MINISBLACK)
            std::fill(spec.samples.begin() + y * 216 + 1, spec.samples.begin() + (y + 1) * 216,
                      0xFF);
    }
    return spec;
}

TEST(TiffRendererTest, FineFaxTiffStaysPixelForPixel) {
    const auto pages = renderTiff(makeTiff({faxSpec(2292, 196)}), FaxResolution::Fine, 5);
    ASSERT_EQ(pages.size(), 1u);
    ASSERT_EQ(pages[0].heightPx, 2292);
    for (int y = 0; y < 2292; ++y) ASSERT_EQ(pages[0].bits[y * 216], y & 0xFF) << y;
    EXPECT_EQ(countBlack(pages[0], 8, 0, 1728, 2292), 0);
}

TEST(TiffRendererTest, MinIsBlackIsInverted) {
    const auto pages =
        renderTiff(makeTiff({faxSpec(2292, 196, PHOTOMETRIC_MINISBLACK)}), FaxResolution::Fine, 5);
    ASSERT_EQ(pages.size(), 1u);
    for (int y = 0; y < 2292; ++y) ASSERT_EQ(pages[0].bits[y * 216], y & 0xFF) << y;
    EXPECT_EQ(countBlack(pages[0], 8, 0, 1728, 2292), 0);
}

TEST(TiffRendererTest, NormalRowsAreDoubledForFine) {
    const auto pages = renderTiff(makeTiff({faxSpec(1146, 98)}), FaxResolution::Fine, 5);
    ASSERT_EQ(pages.size(), 1u);
    ASSERT_EQ(pages[0].heightPx, 2292);
    for (int y = 0; y < 2292; ++y) ASSERT_EQ(pages[0].bits[y * 216], (y / 2) & 0xFF) << y;
}

TEST(TiffRendererTest, FineRowsAreOredInPairsForNormal) {
    const auto pages = renderTiff(makeTiff({faxSpec(2292, 196)}), FaxResolution::Normal, 5);
    ASSERT_EQ(pages.size(), 1u);
    ASSERT_EQ(pages[0].heightPx, 1146);
    for (int y = 0; y < 1146; ++y)
        ASSERT_EQ(pages[0].bits[y * 216], ((2 * y) & 0xFF) | ((2 * y + 1) & 0xFF)) << y;
}

TEST(TiffRendererTest, ShortFaxPageIsPaddedToA4AndLongOneKept) {
    const auto pages =
        renderTiff(makeTiff({faxSpec(1000, 196), faxSpec(3000, 196)}), FaxResolution::Fine, 5);
    ASSERT_EQ(pages.size(), 2u);
    EXPECT_EQ(pages[0].heightPx, 2292);
    EXPECT_EQ(pages[1].heightPx, 3000);
    EXPECT_EQ(countBlack(pages[0], 0, 1000, 1728, 2292), 0);
}

TEST(TiffRendererTest, GrayScanIsScaledByItsResolution) {
    // 600 x 600 at 300 dpi = 2 x 2 in, top-left quarter black -> 408 px wide centred
    // (columns 660..1067), the quarter 204 px across and 196 rows down.
    TiffPageSpec spec;
    spec.width = spec.height = 600;
    spec.xDpi = spec.yDpi = 300;
    spec.samples.assign(600 * 600, 255);
    for (int y = 0; y < 300; ++y)
        for (int x = 0; x < 300; ++x) spec.samples[y * 600 + x] = 0;
    const auto pages = renderTiff(makeTiff({spec}), FaxResolution::Fine, 5);
    ASSERT_EQ(pages.size(), 1u);
    EXPECT_EQ(countBlack(pages[0], 663, 3, 861, 193), (861 - 663) * (193 - 3));
    EXPECT_EQ(countBlack(pages[0], 868, 0, 1728, 2292), 0);
    EXPECT_EQ(countBlack(pages[0], 0, 0, 657, 2292), 0);
    EXPECT_EQ(countBlack(pages[0], 0, 200, 1728, 2292), 0);
}

TEST(TiffRendererTest, RgbTiffWithoutResolutionIsFittedToTheWidth) {
    // 3456 x 100 RGB, black left half, white right half.
    TiffPageSpec spec;
    spec.width = 3456;
    spec.height = 100;
    spec.samplesPerPixel = 3;
    spec.photometric = PHOTOMETRIC_RGB;
    spec.samples.assign(3456 * 100 * 3, 255);
    for (int y = 0; y < 100; ++y)
        for (int x = 0; x < 1728; ++x) {
            uint8_t* p = &spec.samples[(y * 3456 + x) * 3];
            p[0] = 0;
            p[1] = 0;
            p[2] = 0;
        }
    const auto pages = renderTiff(makeTiff({spec}), FaxResolution::Fine, 5);
    ASSERT_EQ(pages.size(), 1u);
    EXPECT_EQ(countBlack(pages[0], 0, 0, 860, 45), 860 * 45);
    EXPECT_EQ(countBlack(pages[0], 868, 0, 1728, 2292), 0);
}

TEST(TiffRendererTest, PageLimitAndGarbage) {
    const std::string three = makeTiff({faxSpec(100, 196), faxSpec(100, 196), faxSpec(100, 196)});
    EXPECT_EQ(countTiffPages(three), 3);
    EXPECT_THROW(renderTiff(three, FaxResolution::Fine, 2), ImageError);
    EXPECT_EQ(renderTiff(three, FaxResolution::Fine, 3).size(), 3u);
    EXPECT_THROW(renderTiff("not a tiff at all", FaxResolution::Fine, 5), ImageError);
    std::string truncated = makeTiff({faxSpec(2292, 196)});
    truncated.resize(truncated.size() / 2);
    EXPECT_THROW(renderTiff(truncated, FaxResolution::Fine, 5), ImageError);
}

TEST(TiffRendererTest, HugeImageIsRefused) {
    // Claims 30000 x 30000; only the header is real.
    TiffPageSpec spec;
    spec.width = 30000;
    spec.height = 2;
    spec.samples.assign(60000, 255);
    try {
        renderTiff(makeTiff({spec}), FaxResolution::Fine, 5);
        FAIL() << "no exception";
    } catch (const ImageError& e) {
        EXPECT_EQ(std::string(e.what()).rfind("image too large", 0), 0u) << e.what();
    }
}

}  // namespace
}  // namespace faxgate::gateway
