// writeFaxTiff / countTiffPages: G4 round trip through libtiff, the tags fax software
// needs, and refusal of malformed pages and unreadable files.
#include "gateway/image/fax_tiff.h"

#include <gtest/gtest.h>

#include <random>

#include "gateway/image/renderers.h"
#include "test_documents.h"

namespace faxgate::gateway {
namespace {

using testing::TempFile;

// A page with rules, a filled block and random noise: every kind of run G4 must code.
FaxPage patternedPage(FaxResolution res, int heightPx, unsigned seed) {
    FaxPage page;
    page.resolution = res;
    page.heightPx = heightPx;
    page.bits.assign(static_cast<size_t>(heightPx) * kFaxRowBytes, 0);
    std::mt19937 random(seed);
    for (int y = 0; y < heightPx; ++y) {
        uint8_t* row = page.bits.data() + static_cast<size_t>(y) * kFaxRowBytes;
        if (y % 100 == 0) std::fill(row, row + kFaxRowBytes, 0xFF);   // full rule
        if (y > 200 && y < 400) std::fill(row + 10, row + 60, 0xFF);  // block
        if (y > 500 && y < 700)
            for (int b = 100; b < 200; ++b) row[b] = static_cast<uint8_t>(random());  // noise
    }
    page.bits.back() = 0x01;  // last pixel of the page
    return page;
}

std::vector<uint8_t> readStrip(TIFF* tif) {
    std::vector<uint8_t> bits(TIFFStripSize(tif));
    EXPECT_GT(TIFFReadEncodedStrip(tif, 0, bits.data(), static_cast<tmsize_t>(bits.size())), 0);
    return bits;
}

TEST(FaxTiffTest, RoundTripThroughLibtiffKeepsEveryBitAndWritesFaxTags) {
    const std::vector<FaxPage> pages = {patternedPage(FaxResolution::Fine, 2292, 1),
                                        patternedPage(FaxResolution::Normal, 1146, 2),
                                        patternedPage(FaxResolution::Fine, 3000, 3)};
    const std::string tiff = writeFaxTiff(pages);
    ASSERT_EQ(tiff.substr(0, 4), std::string("II*\0", 4));

    TempFile file;
    file.write(tiff);
    TIFF* tif = TIFFOpen(file.path().c_str(), "r");
    ASSERT_NE(tif, nullptr);
    for (size_t i = 0; i < pages.size(); ++i) {
        if (i > 0) {
            ASSERT_TRUE(TIFFReadDirectory(tif));
        }
        uint32_t width = 0, height = 0;
        uint16_t compression = 0, photometric = 0, fillOrder = 0, pageNumber = 0, pageTotal = 0;
        float xRes = 0, yRes = 0;
        TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width);
        TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height);
        TIFFGetField(tif, TIFFTAG_COMPRESSION, &compression);
        TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric);
        TIFFGetField(tif, TIFFTAG_FILLORDER, &fillOrder);
        TIFFGetField(tif, TIFFTAG_XRESOLUTION, &xRes);
        TIFFGetField(tif, TIFFTAG_YRESOLUTION, &yRes);
        TIFFGetField(tif, TIFFTAG_PAGENUMBER, &pageNumber, &pageTotal);
        EXPECT_EQ(width, 1728u);
        EXPECT_EQ(height, static_cast<uint32_t>(pages[i].heightPx));
        EXPECT_EQ(compression, COMPRESSION_CCITTFAX4);
        EXPECT_EQ(photometric, PHOTOMETRIC_MINISWHITE);
        EXPECT_EQ(fillOrder, FILLORDER_MSB2LSB);
        EXPECT_FLOAT_EQ(xRes, 204.0f);
        EXPECT_FLOAT_EQ(yRes, pages[i].resolution == FaxResolution::Fine ? 196.0f : 98.0f);
        EXPECT_EQ(pageNumber, i);
        EXPECT_EQ(pageTotal, pages.size());
        EXPECT_EQ(readStrip(tif), pages[i].bits) << "page " << i;
    }
    EXPECT_FALSE(TIFFReadDirectory(tif));
    TIFFClose(tif);
    EXPECT_EQ(countTiffPages(tiff), 3);
}

TEST(FaxTiffTest, G4CompressesATextLikePageWell) {
    const std::string tiff = writeFaxTiff({patternedPage(FaxResolution::Fine, 2292, 4)});
    // Raw it is 495 KB; the noise block alone is 20 KB of incompressible bits.
    EXPECT_LT(tiff.size(), 60u * 1024);
}

TEST(FaxTiffTest, RenderTiffReadsOurOwnFaxTiffBackPixelForPixel) {
    const std::vector<FaxPage> pages = {patternedPage(FaxResolution::Fine, 2292, 5),
                                        patternedPage(FaxResolution::Fine, 2500, 6)};
    const std::vector<FaxPage> back = renderTiff(writeFaxTiff(pages), FaxResolution::Fine, 10);
    ASSERT_EQ(back.size(), 2u);
    for (size_t i = 0; i < pages.size(); ++i) {
        EXPECT_EQ(back[i].heightPx, pages[i].heightPx);
        EXPECT_EQ(back[i].bits, pages[i].bits);
    }
}

TEST(FaxTiffTest, RefusesNoPagesAndMalformedPages) {
    EXPECT_THROW(writeFaxTiff({}), ImageError);
    FaxPage shortBits = patternedPage(FaxResolution::Fine, 100, 7);
    shortBits.bits.pop_back();
    EXPECT_THROW(writeFaxTiff({shortBits}), ImageError);
    FaxPage noRows;
    EXPECT_THROW(writeFaxTiff({noRows}), ImageError);
}

TEST(FaxTiffTest, CountTiffPagesRefusesGarbage) {
    EXPECT_THROW(countTiffPages(""), ImageError);
    EXPECT_THROW(countTiffPages("hello, this is not a TIFF"), ImageError);
    EXPECT_THROW(countTiffPages(std::string("II*\0\xff\xff\xff\x7f", 8)), ImageError);
    try {
        countTiffPages("garbage garbage");
        FAIL() << "no exception";
    } catch (const ImageError& e) {
        EXPECT_NE(std::string(e.what()).find("not a readable TIFF"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace faxgate::gateway
