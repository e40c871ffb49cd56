// Internal to gateway/image: the steps every renderer shares once it has a grayscale
// picture - size limits, resampling to the fax grid, and the bilevel conversion that packs
// gray rows into fax page bits.
//
// Bilevel conversion of continuous-tone pictures (TIFF, PNG, JPEG; PDF and PostScript are
// rendered to gray by MuPDF and dithered the same way, see pdf_renderer.cpp): an 8x8 Bayer
// ordered dither.
// It compresses far better in G4 than error diffusion (regular patterns make long runs),
// costs one compare per pixel, and its period of 8 matches a byte so a row packs with no
// per-pixel branches. Its thresholds span 16..240, not 0..255, so paper that scans as light
// gray stays white and ink as dark gray stays black; pure black and white pass unchanged, so
// text in a screenshot stays crisp. Sources that are bilevel already use a 50% threshold.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gateway/image/fax_page.h"

namespace faxgate::gateway {

constexpr int kMaxImageSidePx = 20000;                  // wider or taller: "image too large"
constexpr int64_t kMaxDecodedImageBytes = 100LL << 20;  // decoded bytes: "image too large"

// Throws ImageError("image too large ...") if a widthPx x heightPx picture of bytesPerPixel
// breaks the limits above, or ImageError if a side is not positive.
void checkImageSize(int64_t widthPx, int64_t heightPx, int bytesPerPixel);

// An 8-bit grayscale picture, 0 = black, 255 = white, rows packed without padding.
struct GrayImage {
    int widthPx = 0;
    int heightPx = 0;
    std::vector<uint8_t> pixels;  // widthPx * heightPx
};

// Box-filter (area-average) resampling to dstWidthPx x dstHeightPx: exact for integer
// upscales (a row doubled is the same row twice), smooth for downscales.
GrayImage resampleArea(const GrayImage& src, int dstWidthPx, int dstHeightPx);

enum class Halftone { Threshold, OrderedDither };

// Packs `rows` gray rows (each `widthPx` <= kFaxPageWidthPx pixels, `strideBytes` apart)
// into fax rows at `out` (rows * kFaxRowBytes bytes), centred on the 1728-pixel line with
// white on both sides. `firstRowIndex` keeps the dither pattern continuous across calls.
void packGrayRows(const uint8_t* gray, size_t strideBytes, int widthPx, int rows, int firstRowIndex,
                  Halftone halftone, uint8_t* out);

// A white page of heightPx rows.
FaxPage blankPage(FaxResolution res, int heightPx);

// Lays a picture already scaled to the fax grid (widthPx <= 1728) onto pages: centred
// across, from the top; A4 pages, as many as its height needs.
std::vector<FaxPage> layOutOnA4Pages(const GrayImage& scaled, FaxResolution res, Halftone halftone);

// Scales a picture to the fax grid given its size in pixels per inch (<= 0 when unknown):
// the physical size if known, shrunk to fit 1728 px across if wider; when unknown, fitted
// to the page width but enlarged at most twice. Then lays it out as layOutOnA4Pages does.
std::vector<FaxPage> scaleOntoPages(const GrayImage& src, double xDpi, double yDpi,
                                    FaxResolution res, Halftone halftone);

}  // namespace faxgate::gateway
