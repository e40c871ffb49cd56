// renderRasterImage: PNG and JPEG decoded, fitted to the page width (at most 2x), placed
// centred from the top, split when taller than a page; garbage and huge images refused.
#include <gtest/gtest.h>

#include "gateway/image/renderers.h"
#include "test_documents.h"

namespace faxgate::gateway {
namespace {

using namespace testing;

// 400 x 300, white, with a black square over x 0..199, y 0..149.
std::string quarterBlackPng(cairo_format_t format = CAIRO_FORMAT_RGB24) {
    return makePng(
        400, 300,
        [](cairo_t* cr) {
            cairo_set_source_rgb(cr, 1, 1, 1);
            cairo_paint(cr);
            cairo_set_source_rgb(cr, 0, 0, 0);
            cairo_rectangle(cr, 0, 0, 200, 150);
            cairo_fill(cr);
        },
        format);
}

TEST(RasterRendererTest, SmallPngIsEnlargedTwiceAndCentred) {
    const auto pages = renderRasterImage(quarterBlackPng(), FaxResolution::Fine);
    ASSERT_EQ(pages.size(), 1u);
    EXPECT_EQ(pages[0].heightPx, 2292);
    // 400 px -> 800 px, centred: columns 464..1263; the square is 464..863 across and
    // 150 * 2 * 196/204 = 288 rows down.
    EXPECT_EQ(countBlack(pages[0], 468, 4, 860, 284), (860 - 468) * (284 - 4));
    EXPECT_EQ(countBlack(pages[0], 868, 0, 1728, 2292), 0);
    EXPECT_EQ(countBlack(pages[0], 0, 0, 460, 2292), 0);
    EXPECT_EQ(countBlack(pages[0], 0, 292, 1728, 2292), 0);
}

TEST(RasterRendererTest, NormalResolutionHalvesTheRows) {
    const auto pages = renderRasterImage(quarterBlackPng(), FaxResolution::Normal);
    ASSERT_EQ(pages.size(), 1u);
    EXPECT_EQ(pages[0].heightPx, 1146);
    const auto [first, last] = inkRows(pages[0]);
    EXPECT_EQ(first, 0);
    EXPECT_NEAR(last, 144, 2);  // 150 * 2 * 98/204
}

TEST(RasterRendererTest, TransparentPngIsWhitePaper) {
    const std::string png = makePng(
        100, 100,
        [](cairo_t* cr) {
            cairo_set_source_rgba(cr, 0, 0, 0, 0);
            cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
            cairo_paint(cr);
        },
        CAIRO_FORMAT_ARGB32);
    const auto pages = renderRasterImage(png, FaxResolution::Fine);
    ASSERT_EQ(pages.size(), 1u);
    EXPECT_EQ(countBlack(pages[0]), 0);
}

TEST(RasterRendererTest, WideJpegIsShrunkToThePageWidth) {
    // 3456 x 200, left half black: it is shrunk to 1728, so columns 0..863 are black.
    const std::string jpeg = makeJpeg(3456, 200, [](int x, int) { return x < 1728 ? 0 : 255; });
    const auto pages = renderRasterImage(jpeg, FaxResolution::Fine);
    ASSERT_EQ(pages.size(), 1u);
    const int rows = static_cast<int>(200 * 0.5 * 196 / 204);  // 96
    EXPECT_EQ(countBlack(pages[0], 0, 0, 860, rows - 2), 860 * (rows - 2));
    EXPECT_EQ(countBlack(pages[0], 868, 0, 1728, 2292), 0);
    EXPECT_EQ(countBlack(pages[0], 0, rows + 2, 1728, 2292), 0);
}

TEST(RasterRendererTest, MidGrayIsDithered) {
    const std::string jpeg = makeJpeg(864, 400, [](int, int) { return 128; });
    const auto pages = renderRasterImage(jpeg, FaxResolution::Fine);
    const double ink = countBlack(pages[0], 0, 0, 1728, 700) / (1728.0 * 700);
    EXPECT_GT(ink, 0.4);
    EXPECT_LT(ink, 0.6);
}

TEST(RasterRendererTest, TallImageIsSplitOverA4Pages) {
    // 864 x 5000 -> 1728 x 9608 rows fine: 5 pages of 2292 rows.
    const std::string jpeg = makeJpeg(864, 5000, [](int, int y) { return y % 100 < 50 ? 0 : 255; });
    const auto pages = renderRasterImage(jpeg, FaxResolution::Fine);
    ASSERT_EQ(pages.size(), 5u);
    for (const FaxPage& page : pages) EXPECT_EQ(page.heightPx, 2292);
    EXPECT_GT(countBlack(pages[4]), 0);
}

TEST(RasterRendererTest, GarbageAndHugeImagesAreRefused) {
    EXPECT_THROW(renderRasterImage("hello", FaxResolution::Fine), ImageError);
    EXPECT_THROW(renderRasterImage("\x89PNG\r\n\x1A\n garbage follows", FaxResolution::Fine),
                 ImageError);
    EXPECT_THROW(renderRasterImage("\xFF\xD8\xFF\xE0 garbage follows", FaxResolution::Fine),
                 ImageError);
    std::string truncated = makeJpeg(300, 300, [](int x, int) { return x & 0xFF; });
    truncated.resize(40);
    EXPECT_THROW(renderRasterImage(truncated, FaxResolution::Fine), ImageError);

    const std::string wide = makePng(
        25000, 1, [](cairo_t*) {}, CAIRO_FORMAT_A8);
    try {
        renderRasterImage(wide, FaxResolution::Fine);
        FAIL() << "no exception";
    } catch (const ImageError& e) {
        EXPECT_EQ(std::string(e.what()).rfind("image too large", 0), 0u) << e.what();
    }
}

}  // namespace
}  // namespace faxgate::gateway
