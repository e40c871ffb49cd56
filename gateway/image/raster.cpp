// Resampling and bilevel packing shared by the renderers (see raster.h for the choices).
#include "gateway/image/raster.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <string>

namespace faxgate::gateway {
namespace {

// Bayer 8x8 index matrix (0..63).
constexpr uint8_t kBayer8[8][8] = {
    {0, 32, 8, 40, 2, 34, 10, 42},  {48, 16, 56, 24, 50, 18, 58, 26},
    {12, 44, 4, 36, 14, 46, 6, 38}, {60, 28, 52, 20, 62, 30, 54, 22},
    {3, 35, 11, 43, 1, 33, 9, 41},  {51, 19, 59, 27, 49, 17, 57, 25},
    {15, 47, 7, 39, 13, 45, 5, 37}, {63, 31, 55, 23, 61, 29, 53, 21},
};

struct DitherTable {
    std::array<std::array<uint8_t, 8>, 8> thresholds{};
    DitherTable() {
        for (int y = 0; y < 8; ++y)
            for (int x = 0; x < 8; ++x)
                thresholds[y][x] =
                    static_cast<uint8_t>(16 + std::lround((kBayer8[y][x] + 0.5) * 224.0 / 64.0));
    }
};
const DitherTable kDither;
constexpr std::array<uint8_t, 8> kHalfThreshold = {128, 128, 128, 128, 128, 128, 128, 128};

// One pixel row of exactly 1728 gray values -> 216 bytes; a pixel is black (1) when darker
// than its threshold. Written as whole bytes so the compiler can vectorise the compares.
inline void packRow(const uint8_t* gray, const uint8_t* thresholds, uint8_t* out) {
    for (int byte = 0; byte < kFaxRowBytes; ++byte) {
        const uint8_t* p = gray + byte * 8;
        unsigned bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 1) | (p[i] < thresholds[i] ? 1u : 0u);
        out[byte] = static_cast<uint8_t>(bits);
    }
}

// For each destination index along one axis: the source pixels it covers and their
// weights (16.16 fixed point, summing to 65536).
struct AxisWeights {
    std::vector<int> first;   // first source index per destination index
    std::vector<int> count;   // number of source indices
    std::vector<int> offset;  // into weights
    std::vector<uint32_t> weights;
};

AxisWeights areaWeights(int srcLen, int dstLen) {
    AxisWeights w;
    w.first.resize(dstLen);
    w.count.resize(dstLen);
    w.offset.resize(dstLen);
    const double scale = static_cast<double>(srcLen) / dstLen;
    for (int d = 0; d < dstLen; ++d) {
        double begin = d * scale, end = (d + 1) * scale;
        int first = static_cast<int>(std::floor(begin));
        int last = std::min(srcLen - 1, static_cast<int>(std::ceil(end)) - 1);
        first = std::min(first, srcLen - 1);
        if (last < first) last = first;
        w.first[d] = first;
        w.count[d] = last - first + 1;
        w.offset[d] = static_cast<int>(w.weights.size());
        uint32_t total = 0;
        for (int s = first; s <= last; ++s) {
            double overlap = std::min(end, s + 1.0) - std::max(begin, static_cast<double>(s));
            auto weight =
                static_cast<uint32_t>(std::lround(std::max(0.0, overlap) / scale * 65536));
            w.weights.push_back(weight);
            total += weight;
        }
        // Rounding leftovers go to the first tap so every set of weights sums to exactly 1.
        w.weights[w.offset[d]] += 65536 - total;
    }
    return w;
}

}  // namespace

void checkImageSize(int64_t widthPx, int64_t heightPx, int bytesPerPixel) {
    if (widthPx <= 0 || heightPx <= 0) throw ImageError("the image has no pixels");
    if (widthPx > kMaxImageSidePx || heightPx > kMaxImageSidePx ||
        widthPx * heightPx * bytesPerPixel > kMaxDecodedImageBytes) {
        throw ImageError("image too large: " + std::to_string(widthPx) + " x " +
                         std::to_string(heightPx) + " pixels (the limit is " +
                         std::to_string(kMaxImageSidePx) + " pixels a side and " +
                         std::to_string(kMaxDecodedImageBytes >> 20) + " MB decoded)");
    }
}

GrayImage resampleArea(const GrayImage& src, int dstWidthPx, int dstHeightPx) {
    if (dstWidthPx == src.widthPx && dstHeightPx == src.heightPx) return src;
    const AxisWeights across = areaWeights(src.widthPx, dstWidthPx);
    const AxisWeights down = areaWeights(src.heightPx, dstHeightPx);

    // Across first, into 16-bit-precision intermediate rows (value * 256).
    std::vector<uint16_t> wide(static_cast<size_t>(src.heightPx) * dstWidthPx);
    for (int y = 0; y < src.heightPx; ++y) {
        const uint8_t* row = src.pixels.data() + static_cast<size_t>(y) * src.widthPx;
        uint16_t* out = wide.data() + static_cast<size_t>(y) * dstWidthPx;
        for (int d = 0; d < dstWidthPx; ++d) {
            const uint32_t* weight = across.weights.data() + across.offset[d];
            const uint8_t* p = row + across.first[d];
            uint64_t sum = 0;
            for (int k = 0; k < across.count[d]; ++k) sum += uint64_t{p[k]} * weight[k];
            out[d] = static_cast<uint16_t>((sum + 128) >> 8);  // value * 256
        }
    }
    GrayImage dst;
    dst.widthPx = dstWidthPx;
    dst.heightPx = dstHeightPx;
    dst.pixels.resize(static_cast<size_t>(dstWidthPx) * dstHeightPx);
    std::vector<uint64_t> sums(dstWidthPx);
    for (int d = 0; d < dstHeightPx; ++d) {
        std::fill(sums.begin(), sums.end(), 0);
        const uint32_t* weight = down.weights.data() + down.offset[d];
        for (int k = 0; k < down.count[d]; ++k) {
            const uint16_t* row = wide.data() + static_cast<size_t>(down.first[d] + k) * dstWidthPx;
            for (int x = 0; x < dstWidthPx; ++x) sums[x] += uint64_t{row[x]} * weight[k];
        }
        uint8_t* out = dst.pixels.data() + static_cast<size_t>(d) * dstWidthPx;
        for (int x = 0; x < dstWidthPx; ++x)
            out[x] = static_cast<uint8_t>(std::min<uint64_t>(255, (sums[x] + (1u << 23)) >> 24));
    }
    return dst;
}

void packGrayRows(const uint8_t* gray, size_t strideBytes, int widthPx, int rows, int firstRowIndex,
                  Halftone halftone, uint8_t* out) {
    widthPx = std::clamp(widthPx, 0, kFaxPageWidthPx);
    const int left = (kFaxPageWidthPx - widthPx) / 2;
    std::array<uint8_t, kFaxPageWidthPx> line;
    line.fill(255);
    for (int y = 0; y < rows; ++y) {
        std::memcpy(line.data() + left, gray + static_cast<size_t>(y) * strideBytes, widthPx);
        const uint8_t* thresholds = halftone == Halftone::OrderedDither
                                        ? kDither.thresholds[(firstRowIndex + y) & 7].data()
                                        : kHalfThreshold.data();
        packRow(line.data(), thresholds, out + static_cast<size_t>(y) * kFaxRowBytes);
    }
}

FaxPage blankPage(FaxResolution res, int heightPx) {
    FaxPage page;
    page.resolution = res;
    page.heightPx = heightPx;
    page.bits.assign(static_cast<size_t>(heightPx) * kFaxRowBytes, 0);
    return page;
}

std::vector<FaxPage> layOutOnA4Pages(const GrayImage& scaled, FaxResolution res,
                                     Halftone halftone) {
    const int pageRows = a4HeightPx(res);
    std::vector<FaxPage> pages;
    for (int top = 0; top < scaled.heightPx || pages.empty(); top += pageRows) {
        FaxPage page = blankPage(res, pageRows);
        const int rows = std::min(pageRows, scaled.heightPx - top);
        if (rows > 0) {
            packGrayRows(scaled.pixels.data() + static_cast<size_t>(top) * scaled.widthPx,
                         scaled.widthPx, scaled.widthPx, rows, top, halftone, page.bits.data());
        }
        pages.push_back(std::move(page));
    }
    return pages;
}

std::vector<FaxPage> scaleOntoPages(const GrayImage& src, double xDpi, double yDpi,
                                    FaxResolution res, Halftone halftone) {
    const double rowsPerInch = verticalDpi(res);
    double scaleX, scaleY;
    if (xDpi > 0 && yDpi > 0) {
        scaleX = kHorizontalDpi / xDpi;
        scaleY = rowsPerInch / yDpi;
        if (src.widthPx * scaleX > kFaxPageWidthPx) {
            const double shrink = kFaxPageWidthPx / (src.widthPx * scaleX);
            scaleX *= shrink;
            scaleY *= shrink;
        }
    } else {
        scaleX = std::min(2.0, static_cast<double>(kFaxPageWidthPx) / src.widthPx);
        scaleY = scaleX * rowsPerInch / kHorizontalDpi;
    }
    const int width =
        std::clamp(static_cast<int>(std::lround(src.widthPx * scaleX)), 1, kFaxPageWidthPx);
    const int height = std::max(1, static_cast<int>(std::lround(src.heightPx * scaleY)));
    // A picture that would fill more than 200 fax pages is not something to send.
    if (height > 200 * a4HeightPx(res))
        throw ImageError("image too large: it would fill more than 200 fax pages");
    return layOutOnA4Pages(resampleArea(src, width, height), res, halftone);
}

}  // namespace faxgate::gateway
