// wrapFaxTiffAsPdf: fax TIFFs of every coding libtiff writes (G4, G3 1D/2D with and without
// fill bits, MH RLE, uncompressed; both fill orders and photometrics; several strips; fine and
// normal) become PDFs whose pages poppler renders to exactly the pixels libtiff decodes, at the
// physical page size, holding the TIFF's coded bytes unchanged. Needs poppler-utils (pdfinfo,
// pdftoppm).
#include "gateway/image/tiff_to_pdf.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "gateway/image/fax_tiff.h"
#include "gateway/image/renderers.h"
#include "gateway/image/tiff_memory.h"
#include "test_documents.h"

namespace faxgate::gateway {
namespace {

using testing::TempFile;

// A picture in visual terms: rows of packed bits, MSB first, 1 = black.
struct Bitmap {
    int widthPx = 0;
    int heightPx = 0;
    std::vector<uint8_t> bits;
    size_t rowBytes() const { return (static_cast<size_t>(widthPx) + 7) / 8; }
    bool black(int x, int y) const {
        return (bits[static_cast<size_t>(y) * rowBytes() + x / 8] >> (7 - x % 8)) & 1;
    }
};

// Rules, an off-centre block (a flip or shift would move it), a diagonal, random noise and
// the last pixel of the page black: every kind of run the codings must carry.
Bitmap patterned(int widthPx, int heightPx, unsigned seed) {
    Bitmap b{widthPx, heightPx, {}};
    b.bits.assign(b.rowBytes() * heightPx, 0);
    std::mt19937 random(seed);
    auto set = [&b](int x, int y) {
        b.bits[static_cast<size_t>(y) * b.rowBytes() + x / 8] |= 0x80 >> (x % 8);
    };
    for (int y = 0; y < heightPx; ++y) {
        if (y % 97 == 0)
            for (int x = 0; x < widthPx; ++x) set(x, y);
        if (y > heightPx / 10 && y < heightPx / 5)
            for (int x = widthPx / 12; x < widthPx / 3; ++x) set(x, y);
        set((y * 3) % widthPx, y);
        if (y > heightPx / 2 && y < heightPx / 2 + 150)
            for (int x = widthPx / 2; x < widthPx / 2 + 400 && x < widthPx; ++x)
                if (random() % 3 == 0) set(x, y);
    }
    set(widthPx - 1, heightPx - 1);
    return b;
}

struct TiffCoding {
    const char* name;
    uint16_t compression = COMPRESSION_CCITTFAX4;
    uint32_t t4Options = 0;
    uint16_t fillOrder = FILLORDER_MSB2LSB;
    uint16_t photometric = PHOTOMETRIC_MINISWHITE;
    uint32_t rowsPerStrip = 0;  // 0: one strip per page
};

struct TestPage {
    Bitmap picture;
    float xDpi = 204, yDpi = 196;
};

// A multi-page TIFF written by libtiff with `coding`.
std::string makeFaxTiff(const std::vector<TestPage>& pages, const TiffCoding& coding) {
    MemoryTiff file = MemoryTiff::openForWriting();
    TIFF* tif = file.handle();
    for (const TestPage& page : pages) {
        const Bitmap& p = page.picture;
        TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, p.widthPx);
        TIFFSetField(tif, TIFFTAG_IMAGELENGTH, p.heightPx);
        TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1);
        TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
        TIFFSetField(tif, TIFFTAG_COMPRESSION, coding.compression);
        if (coding.compression == COMPRESSION_CCITTFAX3)
            TIFFSetField(tif, TIFFTAG_GROUP3OPTIONS, coding.t4Options);
        TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, coding.photometric);
        TIFFSetField(tif, TIFFTAG_FILLORDER, coding.fillOrder);
        TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
        TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP,
                     coding.rowsPerStrip ? coding.rowsPerStrip : static_cast<uint32_t>(p.heightPx));
        TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
        TIFFSetField(tif, TIFFTAG_XRESOLUTION, page.xDpi);
        TIFFSetField(tif, TIFFTAG_YRESOLUTION, page.yDpi);
        std::vector<uint8_t> row(p.rowBytes());
        for (int y = 0; y < p.heightPx; ++y) {
            std::copy_n(p.bits.begin() + static_cast<ptrdiff_t>(y * p.rowBytes()), p.rowBytes(),
                        row.begin());
            if (coding.photometric == PHOTOMETRIC_MINISBLACK)  // a 0 sample is black
                for (uint8_t& byte : row) byte = static_cast<uint8_t>(~byte);
            if (TIFFWriteScanline(tif, row.data(), static_cast<uint32_t>(y), 0) < 0)
                throw std::runtime_error("TIFFWriteScanline: " + file.lastError());
        }
        if (!TIFFWriteDirectory(tif))
            throw std::runtime_error("TIFFWriteDirectory: " + file.lastError());
    }
    file.close();
    return file.buffer();
}

// Page `index` (0-based) of a TIFF as libtiff decodes it, in visual terms.
Bitmap decodeWithLibtiff(const std::string& tiff, int index) {
    MemoryTiff file = MemoryTiff::openForReading(tiff);
    TIFF* tif = file.handle();
    EXPECT_TRUE(TIFFSetDirectory(tif, static_cast<tdir_t>(index)));
    uint32_t width = 0, height = 0;
    uint16_t photometric = 0;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height);
    TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric);
    Bitmap b{static_cast<int>(width), static_cast<int>(height), {}};
    b.bits.assign(b.rowBytes() * height, 0);
    for (uint32_t y = 0; y < height; ++y) {
        uint8_t* row = b.bits.data() + y * b.rowBytes();
        EXPECT_EQ(TIFFReadScanline(tif, row, y, 0), 1) << "row " << y;
        if (photometric == PHOTOMETRIC_MINISBLACK)
            for (size_t i = 0; i < b.rowBytes(); ++i) row[i] = static_cast<uint8_t>(~row[i]);
    }
    // Padding bits after the last column are not pixels.
    if (width % 8)
        for (uint32_t y = 0; y < height; ++y)
            b.bits[(y + 1) * b.rowBytes() - 1] &= static_cast<uint8_t>(0xFF << (8 - width % 8));
    return b;
}

// Every raw strip of every page, in order, as stored in the TIFF.
std::vector<std::string> rawStrips(const std::string& tiff) {
    std::vector<std::string> strips;
    MemoryTiff file = MemoryTiff::openForReading(tiff);
    TIFF* tif = file.handle();
    do {
        for (uint32_t s = 0; s < TIFFNumberOfStrips(tif); ++s) {
            std::string bytes(TIFFGetStrileByteCount(tif, s), '\0');
            EXPECT_EQ(TIFFReadRawStrip(tif, s, bytes.data(), static_cast<tmsize_t>(bytes.size())),
                      static_cast<tmsize_t>(bytes.size()));
            strips.push_back(bytes);
        }
    } while (TIFFReadDirectory(tif));
    return strips;
}

// The data of every image XObject in the PDF, in file order (our writer emits a page's
// strips top to bottom, pages in order).
std::vector<std::string> imageStreams(const std::string& pdf) {
    std::vector<std::string> streams;
    for (size_t at = pdf.find("/Subtype /Image"); at != std::string::npos;
         at = pdf.find("/Subtype /Image", at + 1)) {
        const size_t length = pdf.find("/Length ", at);
        const size_t start = pdf.find("stream\n", length) + 7;
        streams.push_back(pdf.substr(start, std::stoul(pdf.substr(length + 8, 20))));
    }
    return streams;
}

std::string runCommand(const std::string& command, int* status = nullptr) {
    std::string output;
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) return output;
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
    const int rc = pclose(pipe);
    if (status) *status = rc;
    return output;
}

struct PdfInfo {
    int pages = 0;
    std::vector<std::pair<double, double>> sizesPt;  // per page
    std::string text;
};

PdfInfo pdfInfo(const std::string& pdf) {
    TempFile file;
    file.write(pdf);
    PdfInfo info;
    info.text = runCommand("pdfinfo -f 1 -l 1000 " + file.path() + " 2>&1");
    const size_t pages = info.text.find("\nPages:");
    if (pages != std::string::npos) info.pages = std::stoi(info.text.substr(pages + 7));
    for (size_t at = info.text.find("\nPage "); at != std::string::npos;
         at = info.text.find("\nPage ", at + 1)) {
        const size_t size = info.text.find("size: ", at);
        if (size == std::string::npos || size > info.text.find('\n', at + 1)) continue;
        double w = 0, h = 0;
        std::sscanf(info.text.c_str() + size + 6, "%lf x %lf", &w, &h);
        info.sizesPt.emplace_back(w, h);
    }
    return info;
}

// A bilevel TIFF file read back with libtiff, in visual terms.
Bitmap readBilevelTiffFile(const std::string& path) {
    Bitmap b;
    TIFF* tif = TIFFOpen(path.c_str(), "r");
    if (!tif) {
        ADD_FAILURE() << "the renderer wrote no TIFF";
        return b;
    }
    uint32_t width = 0, height = 0;
    uint16_t bitsPerSample = 0, photometric = 0;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height);
    TIFFGetField(tif, TIFFTAG_BITSPERSAMPLE, &bitsPerSample);
    TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric);
    EXPECT_EQ(bitsPerSample, 1);
    b.widthPx = static_cast<int>(width);
    b.heightPx = static_cast<int>(height);
    b.bits.assign(b.rowBytes() * height, 0);
    for (uint32_t y = 0; y < height; ++y) {
        uint8_t* row = b.bits.data() + y * b.rowBytes();
        TIFFReadScanline(tif, row, y, 0);
        if (photometric == PHOTOMETRIC_MINISBLACK)  // a 0 sample is black
            for (size_t i = 0; i < b.rowBytes(); ++i) row[i] = static_cast<uint8_t>(~row[i]);
    }
    TIFFClose(tif);
    std::remove(path.c_str());
    return b;
}

// Page `index` (0-based) rendered by poppler to exactly widthPx x heightPx in black and white
// (the page's own resolution, so one PDF pixel per TIFF pixel).
// pdftocairo, not pdftoppm: poppler's Splash backend (pdftoppm) makes every image one device
// pixel taller and wider than its exact extent (it covers each pixel an edge touches) and
// smooths the stretch, so even a PDF mapping image pixels 1:1 onto device pixels comes out
// blurred; cairo draws such an image pixel for pixel.
Bitmap renderWithPoppler(const std::string& pdf, int index, int widthPx, int heightPx) {
    TempFile file;
    file.write(pdf);
    TempFile out;
    const std::string page = std::to_string(index + 1);
    int status = -1;
    const std::string log =
        runCommand("pdftocairo -tiff -mono -singlefile -f " + page + " -l " + page +
                       " -scale-to-x " + std::to_string(widthPx) + " -scale-to-y " +
                       std::to_string(heightPx) + " " + file.path() + " " + out.path() + " 2>&1",
                   &status);
    EXPECT_EQ(status, 0) << log;
    EXPECT_EQ(log, "") << "poppler complained";
    return readBilevelTiffFile(out.path() + ".tif");
}

// The same with Ghostscript, a CCITT decoder written independently of poppler's, at the
// page's resolution: the DecodeParms must mean the same to both.
Bitmap renderWithGhostscript(const std::string& pdf, int index, double xDpi, double yDpi) {
    TempFile file;
    file.write(pdf);
    TempFile out;
    const std::string page = std::to_string(index + 1);
    int status = -1;
    char resolution[64];
    std::snprintf(resolution, sizeof resolution, "-r%.4fx%.4f", xDpi, yDpi);
    const std::string log =
        runCommand("gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg4 " + std::string(resolution) +
                       " -dFirstPage=" + page + " -dLastPage=" + page +
                       " -sOutputFile=" + out.path() + " " + file.path() + " 2>&1",
                   &status);
    EXPECT_EQ(status, 0) << log;
    EXPECT_EQ(log, "") << "Ghostscript complained";
    return readBilevelTiffFile(out.path());
}

// Pixels that differ between two pictures of the same size (all of them if the sizes differ),
// and where the first one is.
struct Difference {
    long pixels = 0;
    std::string first;
};
std::ostream& operator<<(std::ostream& os, const Difference& d) {
    return os << d.pixels << " pixels differ" << d.first;
}

Difference compare(const Bitmap& a, const Bitmap& b) {
    Difference d;
    if (a.widthPx != b.widthPx || a.heightPx != b.heightPx) {
        d.pixels = static_cast<long>(a.widthPx) * a.heightPx + 1;
        d.first = " (sizes " + std::to_string(a.widthPx) + "x" + std::to_string(a.heightPx) +
                  " and " + std::to_string(b.widthPx) + "x" + std::to_string(b.heightPx) + ")";
        return d;
    }
    for (int y = 0; y < a.heightPx; ++y)
        for (int x = 0; x < a.widthPx; ++x) {
            if (a.black(x, y) == b.black(x, y)) continue;
            if (d.pixels++ == 0)
                d.first = ", first at x " + std::to_string(x) + " y " + std::to_string(y);
        }
    return d;
}

// The PDF's page `index` shows exactly the pixels libtiff decodes from the TIFF's page.
void expectSamePixels(const std::string& tiff, const std::string& pdf, int index) {
    const Bitmap decoded = decodeWithLibtiff(tiff, index);
    const Bitmap rendered = renderWithPoppler(pdf, index, decoded.widthPx, decoded.heightPx);
    EXPECT_EQ(compare(decoded, rendered).pixels, 0)
        << "page " << index + 1 << ": " << compare(decoded, rendered);
}

// --- every coding, one A4 page ---------------------------------------------------------

struct CodingCase {
    TiffCoding coding;
    float yDpi;
};

class TiffToPdfCodingTest : public ::testing::TestWithParam<CodingCase> {};

TEST_P(TiffToPdfCodingTest, RendersExactlyTheTiffsPixelsAtThePhysicalSize) {
    const CodingCase& c = GetParam();
    const int rows = c.yDpi > 150 ? 2292 : 1146;  // A4 length
    const Bitmap picture = patterned(1728, rows, 7);
    const std::string tiff = makeFaxTiff({{picture, 204, c.yDpi}}, c.coding);
    const std::string pdf = wrapFaxTiffAsPdf(tiff);

    const Bitmap decoded = decodeWithLibtiff(tiff, 0);
    ASSERT_EQ(compare(decoded, picture).pixels, 0) << "the test TIFF itself is wrong";
    const Difference byPoppler = compare(decoded, renderWithPoppler(pdf, 0, 1728, rows));
    EXPECT_EQ(byPoppler.pixels, 0) << "poppler: " << byPoppler;
    const Difference byGhostscript = compare(decoded, renderWithGhostscript(pdf, 0, 204, c.yDpi));
    EXPECT_EQ(byGhostscript.pixels, 0) << "Ghostscript: " << byGhostscript;

    const PdfInfo info = pdfInfo(pdf);
    EXPECT_EQ(info.pages, 1) << info.text;
    ASSERT_EQ(info.sizesPt.size(), 1u) << info.text;
    EXPECT_NEAR(info.sizesPt[0].first, 609.88, 0.01);   // 1728 / 204 * 72
    EXPECT_NEAR(info.sizesPt[0].second, 841.96, 0.01);  // 2292 / 196 * 72 = 1146 / 98 * 72
}

TEST_P(TiffToPdfCodingTest, CarriesTheCodedBytesUnchanged) {
    const CodingCase& c = GetParam();
    const std::string tiff = makeFaxTiff({{patterned(1728, 600, 3), 204, c.yDpi}}, c.coding);
    std::vector<std::string> expected = rawStrips(tiff);
    if (c.coding.fillOrder == FILLORDER_LSB2MSB)
        for (std::string& strip : expected)
            for (char& byte : strip) {
                uint8_t v = static_cast<uint8_t>(byte), r = 0;
                for (int bit = 0; bit < 8; ++bit) r |= ((v >> bit) & 1) << (7 - bit);
                byte = static_cast<char>(r);
            }
    const std::vector<std::string> streams = imageStreams(wrapFaxTiffAsPdf(tiff));
    ASSERT_EQ(streams.size(), expected.size());
    for (size_t i = 0; i < streams.size(); ++i) EXPECT_TRUE(streams[i] == expected[i]) << i;
}

constexpr uint32_t k2D = GROUP3OPT_2DENCODING, kFill = GROUP3OPT_FILLBITS;

INSTANTIATE_TEST_SUITE_P(
    TiffToPdf, TiffToPdfCodingTest,
    ::testing::Values(
        CodingCase{{"G4Fine"}, 196}, CodingCase{{"G4Normal"}, 98},
        CodingCase{{"G3_1D", COMPRESSION_CCITTFAX3}, 196},
        CodingCase{{"G3_1DFillBits", COMPRESSION_CCITTFAX3, kFill}, 98},
        CodingCase{{"G3_2D", COMPRESSION_CCITTFAX3, k2D}, 196},
        CodingCase{{"G3_2DFillBits", COMPRESSION_CCITTFAX3, k2D | kFill}, 196},
        CodingCase{{"G3_2DNormal", COMPRESSION_CCITTFAX3, k2D}, 98},
        CodingCase{{"G4LsbFirst", COMPRESSION_CCITTFAX4, 0, FILLORDER_LSB2MSB}, 196},
        CodingCase{{"G3_2DFillBitsLsbFirst", COMPRESSION_CCITTFAX3, k2D | kFill, FILLORDER_LSB2MSB},
                   98},
        CodingCase{{"G3_1DLsbFirst", COMPRESSION_CCITTFAX3, 0, FILLORDER_LSB2MSB}, 196},
        CodingCase{
            {"G4MinIsBlack", COMPRESSION_CCITTFAX4, 0, FILLORDER_MSB2LSB, PHOTOMETRIC_MINISBLACK},
            196},
        CodingCase{{"G3_2DMinIsBlack", COMPRESSION_CCITTFAX3, k2D, FILLORDER_MSB2LSB,
                    PHOTOMETRIC_MINISBLACK},
                   98},
        CodingCase{
            {"G4Strips", COMPRESSION_CCITTFAX4, 0, FILLORDER_MSB2LSB, PHOTOMETRIC_MINISWHITE, 100},
            196},
        CodingCase{{"G3_2DStrips", COMPRESSION_CCITTFAX3, k2D | kFill, FILLORDER_LSB2MSB,
                    PHOTOMETRIC_MINISWHITE, 37},
                   98},
        CodingCase{{"ModifiedHuffmanRle", COMPRESSION_CCITTRLE}, 196},
        CodingCase{{"Uncompressed", COMPRESSION_NONE}, 196},
        CodingCase{{"UncompressedMinIsBlackLsbFirst", COMPRESSION_NONE, 0, FILLORDER_LSB2MSB,
                    PHOTOMETRIC_MINISBLACK, 50},
                   98}),
    [](const ::testing::TestParamInfo<CodingCase>& info) {
        return std::string(info.param.coding.name);
    });

// --- documents ------------------------------------------------------------------------

TEST(TiffToPdfTest, ThreePagesOfMixedResolutionKeepTheirSizesAndPixels) {
    const std::vector<TestPage> pages = {{patterned(1728, 2292, 1), 204, 196},
                                         {patterned(1728, 1146, 2), 204, 98},
                                         {patterned(1728, 3000, 3), 204, 196}};  // a long page
    const std::string tiff = makeFaxTiff(pages, {"G4"});
    const std::string pdf = wrapFaxTiffAsPdf(tiff);
    const PdfInfo info = pdfInfo(pdf);
    EXPECT_EQ(info.pages, 3) << info.text;
    ASSERT_EQ(info.sizesPt.size(), 3u) << info.text;
    EXPECT_NEAR(info.sizesPt[0].second, 841.96, 0.01);
    EXPECT_NEAR(info.sizesPt[1].second, 841.96, 0.01);
    EXPECT_NEAR(info.sizesPt[2].second, 3000 / 196.0 * 72, 0.01);
    for (int i = 0; i < 3; ++i) {
        EXPECT_NEAR(info.sizesPt[i].first, 609.88, 0.01);
        expectSamePixels(tiff, pdf, i);
    }
}

TEST(TiffToPdfTest, OddWidthAndCentimetreResolution) {
    // 1001 px at 80 px/cm (203.2 dpi) across and 77 px/cm (195.58 dpi) down.
    MemoryTiff file = MemoryTiff::openForWriting();
    TIFF* tif = file.handle();
    const Bitmap picture = patterned(1001, 700, 9);
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, 1001);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, 700);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1);
    TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, 700);
    TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_CENTIMETER);
    TIFFSetField(tif, TIFFTAG_XRESOLUTION, 80.0f);
    TIFFSetField(tif, TIFFTAG_YRESOLUTION, 77.0f);
    for (int y = 0; y < 700; ++y)
        TIFFWriteScanline(tif, const_cast<uint8_t*>(picture.bits.data()) + y * picture.rowBytes(),
                          static_cast<uint32_t>(y), 0);
    TIFFWriteDirectory(tif);
    file.close();
    const std::string tiff = file.buffer();
    const std::string pdf = wrapFaxTiffAsPdf(tiff);
    const PdfInfo info = pdfInfo(pdf);
    ASSERT_EQ(info.sizesPt.size(), 1u) << info.text;
    EXPECT_NEAR(info.sizesPt[0].first, 1001 / 80.0 / 2.54 * 72, 0.01);
    EXPECT_NEAR(info.sizesPt[0].second, 700 / 77.0 / 2.54 * 72, 0.01);
    expectSamePixels(tiff, pdf, 0);
}

TEST(TiffToPdfTest, MissingResolutionMeansFineFaxResolution) {
    testing::TiffPageSpec fax;  // no resolution tags
    fax.width = 1728;
    fax.height = 2292;
    fax.bitsPerSample = 1;
    fax.photometric = PHOTOMETRIC_MINISWHITE;
    fax.compression = COMPRESSION_CCITTFAX4;
    fax.samples.assign(2292 * 216, 0x0F);
    const std::string tiff = testing::makeTiff({fax});
    const std::string pdf = wrapFaxTiffAsPdf(tiff);
    const PdfInfo info = pdfInfo(pdf);
    ASSERT_EQ(info.sizesPt.size(), 1u) << info.text;
    EXPECT_NEAR(info.sizesPt[0].first, 609.88, 0.01);
    EXPECT_NEAR(info.sizesPt[0].second, 841.96, 0.01);
    expectSamePixels(tiff, pdf, 0);
}

TEST(TiffToPdfTest, OurOwnG4TiffsOfTextShowTheRenderedPage) {
    const std::vector<FaxPage> faxPages =
        renderText("Result of your fax to 0312345678\n\nSent: 2 pages, 14400 bit/s.\n",
                   FaxResolution::Normal, 5);
    const std::string tiff = writeFaxTiff(faxPages);
    const std::string pdf = wrapFaxTiffAsPdf(tiff);
    Bitmap expected{kFaxPageWidthPx, faxPages[0].heightPx, faxPages[0].bits};
    EXPECT_GT(testing::countBlack(faxPages[0]), 1000);  // there is text to compare
    const Difference difference =
        compare(expected, renderWithPoppler(pdf, 0, kFaxPageWidthPx, faxPages[0].heightPx));
    EXPECT_EQ(difference.pixels, 0) << difference;
}

TEST(TiffToPdfTest, WritesTitleProducerAndCreationDate) {
    PdfWrapOptions options;
    options.title = "Fax from Zoë to 0312345678";
    options.creationTime = 1700000000;  // 2023-11-14 22:13:20 UTC
    const std::string pdf =
        wrapFaxTiffAsPdf(makeFaxTiff({{patterned(1728, 100, 1), 204, 196}}, {"G4"}), options);
    const PdfInfo info = pdfInfo(pdf);
    EXPECT_NE(info.text.find(" Fax from Zoë to 0312345678\n"), std::string::npos) << info.text;
    EXPECT_NE(info.text.find("Producer:"), std::string::npos) << info.text;
    EXPECT_NE(info.text.find(" faxgate\n"), std::string::npos) << info.text;
    EXPECT_NE(pdf.find("/CreationDate (D:20231114221320Z)"), std::string::npos);
    EXPECT_EQ(info.text.find("Syntax"), std::string::npos) << info.text;  // no xref repair
}

TEST(TiffToPdfTest, LongTitleIsCutAtACharacterBoundary) {
    PdfWrapOptions options;
    options.title = std::string(9, 'a') + "é";  // é is 2 bytes: bytes 10 and 11
    options.maxTitleBytes = 10;
    const std::string pdf =
        wrapFaxTiffAsPdf(makeFaxTiff({{patterned(1728, 50, 1), 204, 196}}, {"G4"}), options);
    EXPECT_NE(pdf.find("/Title <FEFF006100610061006100610061006100610061>"), std::string::npos);
}

TEST(TiffToPdfTest, XrefOffsetsPointAtTheirObjects) {
    const std::string pdf = wrapFaxTiffAsPdf(makeFaxTiff(
        {{patterned(1728, 300, 1), 204, 196}, {patterned(1728, 300, 2), 204, 98}},
        {"G4Strips", COMPRESSION_CCITTFAX4, 0, FILLORDER_MSB2LSB, PHOTOMETRIC_MINISWHITE, 64}));
    const size_t startxref = pdf.rfind("startxref\n");
    ASSERT_NE(startxref, std::string::npos);
    const size_t xref = std::stoul(pdf.substr(startxref + 10));
    ASSERT_EQ(pdf.compare(xref, 7, "xref\n0 "), 0);
    const int count = std::stoi(pdf.substr(xref + 7));
    EXPECT_EQ(count, 4 + 2 * 2 + 5 * 2);  // fixed objects + page and content + 5 strips each
    const size_t entries = pdf.find('\n', xref + 7) + 1;
    for (int n = 1; n < count; ++n) {
        const size_t offset = std::stoul(pdf.substr(entries + 20 * n, 10));
        EXPECT_EQ(pdf.compare(offset, std::to_string(n).size() + 6, std::to_string(n) + " 0 obj"),
                  0)
            << "object " << n;
    }
}

// --- refusals --------------------------------------------------------------------------

std::string errorOf(const std::string& tiff, const PdfWrapOptions& options = {}) {
    try {
        wrapFaxTiffAsPdf(tiff, options);
    } catch (const ImageError& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(TiffToPdfTest, RefusesWhatIsNotATiff) {
    EXPECT_EQ(errorOf(""), "not a TIFF");
    EXPECT_EQ(errorOf("%PDF-1.4\n%%EOF\n"), "not a TIFF");
    EXPECT_EQ(errorOf(std::string("II*\0\xff\xff\xff\x7f", 8)).rfind("not a readable TIFF", 0), 0u);
    // A real TIFF cut in the middle of its strip.
    const std::string tiff = makeFaxTiff({{patterned(1728, 300, 1), 204, 196}}, {"G4"});
    const std::string cut = errorOf(tiff.substr(0, tiff.size() / 2));
    EXPECT_TRUE(cut.find("past the end") != std::string::npos ||
                cut.rfind("not a readable TIFF", 0) == 0)
        << cut;
}

TEST(TiffToPdfTest, RefusesJpegAndGrayPagesNamingThePage) {
    testing::TiffPageSpec gray;
    gray.width = 16;
    gray.height = 16;
    gray.samples.assign(256, 128);
    EXPECT_EQ(errorOf(testing::makeTiff({gray})),
              "page 1 is not black and white (8 bits per sample, 1 samples per pixel), so it is "
              "not a fax page");
    testing::TiffPageSpec jpeg = gray;
    jpeg.compression = COMPRESSION_JPEG;
    testing::TiffPageSpec fax;
    fax.width = 1728;
    fax.height = 8;
    fax.bitsPerSample = 1;
    fax.photometric = PHOTOMETRIC_MINISWHITE;
    fax.compression = COMPRESSION_CCITTFAX4;
    fax.samples.assign(8 * 216, 0);
    EXPECT_EQ(errorOf(testing::makeTiff({fax, fax, jpeg})),
              "page 3 uses JPEG compression, which cannot be wrapped");
    testing::TiffPageSpec lzw = fax;
    lzw.compression = COMPRESSION_LZW;
    EXPECT_EQ(errorOf(testing::makeTiff({lzw})),
              "page 1 uses LZW compression, which cannot be wrapped");
}

TEST(TiffToPdfTest, EnforcesItsLimits) {
    const std::string threePages = makeFaxTiff({{patterned(1728, 40, 1), 204, 196},
                                                {patterned(1728, 40, 2), 204, 196},
                                                {patterned(1728, 40, 3), 204, 196}},
                                               {"G4"});
    PdfWrapOptions options;
    options.maxPages = 2;
    EXPECT_EQ(errorOf(threePages, options), "the TIFF has more than 2 pages");
    options = {};
    options.maxSidePx = 1000;
    EXPECT_EQ(errorOf(threePages, options),
              "page 1 is too large (1728 x 40 pixels, at most 1000 either way)");
    options = {};
    options.maxSideInches = 5;
    EXPECT_EQ(errorOf(threePages, options).rfind("page 1 is too large (9 x 1 inches", 0), 0u);
    options = {};
    options.maxStrips = 2;
    EXPECT_EQ(errorOf(threePages, options), "the TIFF has more than 2 strips in all");
}

}  // namespace
}  // namespace faxgate::gateway
