// TIFF -> fax pages: any TIFF a user may send (fax G3/G4, scanner output in bilevel, gray or
// colour, any width and resolution), read with libtiff from memory.
//
// Fax TIFFs (bilevel, 1728 px wide at about 204 dpi) keep their pixels exactly: rows are
// copied when the vertical resolution matches, doubled for normal -> fine, and ORed in pairs
// for fine -> normal (so a one-row rule does not vanish). Everything else is scaled by its
// resolution tags to its physical size on the fax grid (shrunk to fit 1728 px if wider; fit
// to the width when it has no resolution) and thresholded if bilevel, dithered otherwise.
// A page shorter than A4 is padded to A4; a scaled image taller than A4 is split over pages.
//
// Diagnostics: "not a readable TIFF: ...", "page N of the TIFF cannot be decoded: ...",
// "image too large", the page limit.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "gateway/image/raster.h"
#include "gateway/image/renderers.h"
#include "gateway/image/tiff_memory.h"

namespace faxgate::gateway {
namespace {

constexpr double kCentimetresPerInch = 2.54;
// Resolutions outside this range are typos or placeholders, not a physical size.
constexpr double kMinPlausibleDpi = 10, kMaxPlausibleDpi = 10000;
// A 1728-px bilevel page with an X resolution in this range is a fax page (8 dots/mm is
// 203.2 dpi; writers put 200, 203, 204).
constexpr double kFaxMinDpi = 190, kFaxMaxDpi = 210;
// Y resolutions above this are "fine" (196-ish), below "normal" (98-ish).
constexpr double kFineNormalBoundaryDpi = 147;

struct PageInfo {
    uint32_t widthPx = 0, heightPx = 0;
    uint16_t bitsPerSample = 1, samplesPerPixel = 1, photometric = PHOTOMETRIC_MINISWHITE;
    double xDpi = 0, yDpi = 0;  // 0 = unknown
};

std::string pageName(int index) { return "page " + std::to_string(index + 1) + " of the TIFF"; }

PageInfo readPageInfo(TIFF* tif, int index) {
    PageInfo info;
    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &info.widthPx) ||
        !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &info.heightPx))
        throw ImageError(pageName(index) + " has no size");
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &info.bitsPerSample);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &info.samplesPerPixel);
    if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &info.photometric))
        info.photometric = PHOTOMETRIC_MINISWHITE;  // the fax default (TIFF Class F)
    uint16_t unit = RESUNIT_INCH;
    TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
    float x = 0, y = 0;
    if (unit != RESUNIT_NONE && TIFFGetField(tif, TIFFTAG_XRESOLUTION, &x) &&
        TIFFGetField(tif, TIFFTAG_YRESOLUTION, &y)) {
        const double toDpi = unit == RESUNIT_CENTIMETER ? kCentimetresPerInch : 1.0;
        info.xDpi = x * toDpi;
        info.yDpi = y * toDpi;
        const auto plausible = [](double dpi) {
            return dpi >= kMinPlausibleDpi && dpi <= kMaxPlausibleDpi;
        };
        if (!plausible(info.xDpi) || !plausible(info.yDpi)) info.xDpi = info.yDpi = 0;
    }
    return info;
}

// Bilevel rows packed MSB first with 1 = black, (width + 7) / 8 bytes each.
std::vector<uint8_t> readBilevelRows(MemoryTiff& in, const PageInfo& info, int index) {
    const size_t rowBytes = (info.widthPx + 7) / 8;
    if (static_cast<size_t>(TIFFScanlineSize(in.handle())) != rowBytes)
        throw ImageError(pageName(index) + " cannot be decoded: unexpected row size");
    std::vector<uint8_t> rows(rowBytes * info.heightPx);
    for (uint32_t y = 0; y < info.heightPx; ++y) {
        if (TIFFReadScanline(in.handle(), rows.data() + y * rowBytes, y, 0) < 0)
            throw ImageError(pageName(index) + " cannot be decoded: " + in.lastError());
    }
    if (info.photometric == PHOTOMETRIC_MINISBLACK)
        for (uint8_t& b : rows) b = static_cast<uint8_t>(~b);
    return rows;
}

// A fax page kept pixel for pixel, rows mapped between resolutions.
FaxPage faxPageFromRows(const std::vector<uint8_t>& rows, const PageInfo& info, FaxResolution res) {
    const bool sourceFine =
        info.yDpi <= 0 ? res == FaxResolution::Fine : info.yDpi > kFineNormalBoundaryDpi;
    const bool targetFine = res == FaxResolution::Fine;
    const int srcRows = static_cast<int>(info.heightPx);
    const int outRows = sourceFine == targetFine ? srcRows
                        : targetFine             ? srcRows * 2
                                                 : (srcRows + 1) / 2;
    FaxPage page = blankPage(res, std::max(a4HeightPx(res), outRows));
    uint8_t* out = page.bits.data();
    const uint8_t* src = rows.data();
    for (int y = 0; y < outRows; ++y) {
        uint8_t* dst = out + static_cast<size_t>(y) * kFaxRowBytes;
        if (sourceFine == targetFine) {
            std::memcpy(dst, src + static_cast<size_t>(y) * kFaxRowBytes, kFaxRowBytes);
        } else if (targetFine) {
            std::memcpy(dst, src + static_cast<size_t>(y / 2) * kFaxRowBytes, kFaxRowBytes);
        } else {
            const uint8_t* a = src + static_cast<size_t>(2 * y) * kFaxRowBytes;
            const uint8_t* b = 2 * y + 1 < srcRows ? a + kFaxRowBytes : a;
            for (int i = 0; i < kFaxRowBytes; ++i) dst[i] = a[i] | b[i];
        }
    }
    return page;
}

GrayImage grayFromBilevel(const std::vector<uint8_t>& rows, const PageInfo& info) {
    GrayImage gray;
    gray.widthPx = static_cast<int>(info.widthPx);
    gray.heightPx = static_cast<int>(info.heightPx);
    gray.pixels.resize(static_cast<size_t>(gray.widthPx) * gray.heightPx);
    const size_t rowBytes = (info.widthPx + 7) / 8;
    for (int y = 0; y < gray.heightPx; ++y) {
        const uint8_t* src = rows.data() + y * rowBytes;
        uint8_t* dst = gray.pixels.data() + static_cast<size_t>(y) * gray.widthPx;
        for (int x = 0; x < gray.widthPx; ++x) dst[x] = (src[x >> 3] & (0x80 >> (x & 7))) ? 0 : 255;
    }
    return gray;
}

GrayImage grayFromRgba(MemoryTiff& in, const PageInfo& info, int index) {
    char reason[1024] = "";
    if (!TIFFRGBAImageOK(in.handle(), reason))
        throw ImageError(pageName(index) + " cannot be decoded: " + reason);
    std::vector<uint32_t> raster(static_cast<size_t>(info.widthPx) * info.heightPx);
    if (!TIFFReadRGBAImageOriented(in.handle(), info.widthPx, info.heightPx, raster.data(),
                                   ORIENTATION_TOPLEFT, 0))
        throw ImageError(pageName(index) + " cannot be decoded: " + in.lastError());
    GrayImage gray;
    gray.widthPx = static_cast<int>(info.widthPx);
    gray.heightPx = static_cast<int>(info.heightPx);
    gray.pixels.resize(raster.size());
    for (size_t i = 0; i < raster.size(); ++i) {
        const uint32_t p = raster[i];
        // libtiff hands out premultiplied alpha: compositing on white paper adds 255 - alpha.
        const unsigned luma = (77 * TIFFGetR(p) + 150 * TIFFGetG(p) + 29 * TIFFGetB(p)) >> 8;
        gray.pixels[i] = static_cast<uint8_t>(std::min(255u, luma + 255u - TIFFGetA(p)));
    }
    return gray;
}

void renderPage(MemoryTiff& in, int index, FaxResolution res, std::vector<FaxPage>& pages) {
    const PageInfo info = readPageInfo(in.handle(), index);
    const bool bilevel = info.bitsPerSample == 1 && info.samplesPerPixel == 1 &&
                         (info.photometric == PHOTOMETRIC_MINISWHITE ||
                          info.photometric == PHOTOMETRIC_MINISBLACK) &&
                         !TIFFIsTiled(in.handle());
    if (bilevel) {
        checkImageSize(info.widthPx, info.heightPx, 1);
        const std::vector<uint8_t> rows = readBilevelRows(in, info, index);
        const bool faxWidth =
            info.widthPx == static_cast<uint32_t>(kFaxPageWidthPx) &&
            (info.xDpi <= 0 || (info.xDpi >= kFaxMinDpi && info.xDpi <= kFaxMaxDpi));
        if (faxWidth) {
            pages.push_back(faxPageFromRows(rows, info, res));
            return;
        }
        for (FaxPage& page : scaleOntoPages(grayFromBilevel(rows, info), info.xDpi, info.yDpi, res,
                                            Halftone::Threshold))
            pages.push_back(std::move(page));
        return;
    }
    checkImageSize(info.widthPx, info.heightPx, 4);  // decoded as RGBA
    for (FaxPage& page : scaleOntoPages(grayFromRgba(in, info, index), info.xDpi, info.yDpi, res,
                                        Halftone::OrderedDither))
        pages.push_back(std::move(page));
}

}  // namespace

std::vector<FaxPage> renderTiff(std::string_view tiff, FaxResolution res, int maxPages) {
    MemoryTiff in = MemoryTiff::openForReading(tiff);
    const int count = static_cast<int>(TIFFNumberOfDirectories(in.handle()));
    if (count <= 0) throw ImageError("the TIFF has no pages");
    if (count > maxPages)
        throw ImageError("the TIFF has " + std::to_string(count) +
                         " pages, more than the limit of " + std::to_string(maxPages));
    std::vector<FaxPage> pages;
    for (int index = 0; index < count; ++index) {
        if (!TIFFSetDirectory(in.handle(), static_cast<tdir_t>(index)))
            throw ImageError(pageName(index) + " cannot be read: " + in.lastError());
        renderPage(in, index, res, pages);
        if (static_cast<int>(pages.size()) > maxPages)
            throw ImageError("the TIFF makes more than " + std::to_string(maxPages) +
                             " fax pages, the limit");
    }
    return pages;
}

}  // namespace faxgate::gateway
