// The fax page: the one picture format every document is turned into before it is encoded
// as G4 TIFF and sent to a node. Renderers (renderers.h) produce FaxPages; fax_tiff.h encodes
// them. A page is bilevel, exactly kFaxPageWidthPx wide (the ITU-T T.4 scan line for A4 and
// Letter) at 204 dpi across, and 196 ("fine") or 98 ("normal") lines per inch down.
//
// Diagnostics: every function of this module reports bad input by throwing ImageError whose
// message is a plain reason a sender can read in a result mail ("the PDF is
// password-protected", "image too large").
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace faxgate::gateway {

enum class FaxResolution { Fine, Normal };  // 204x196 dpi, 204x98 dpi

constexpr int kFaxPageWidthPx = 1728;  // ITU-T T.4 A4/Letter scan line
constexpr int kHorizontalDpi = 204;
constexpr int kFaxRowBytes = kFaxPageWidthPx / 8;  // 216

// 196 for Fine, 98 for Normal.
int verticalDpi(FaxResolution r);

// A4 length (297 mm) in rows at the resolution: 2292 fine, 1146 normal.
int a4HeightPx(FaxResolution r);

// One bilevel fax page: rows of kFaxPageWidthPx pixels, 1 bit per pixel, MSB first, 1 = black,
// each row exactly kFaxPageWidthPx / 8 = 216 bytes. Height: A4 length at the resolution unless
// the source page is longer.
// Invariant (kept by every renderer): bits.size() == heightPx * kFaxRowBytes.
struct FaxPage {
    FaxResolution resolution = FaxResolution::Fine;
    int heightPx = 0;
    std::vector<uint8_t> bits;  // heightPx * 216 bytes
};

// A document that cannot be turned into fax pages; what() is the reason in plain words.
class ImageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

}  // namespace faxgate::gateway
