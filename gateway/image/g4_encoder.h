// ITU-T T.6 ("G4", MMR) coding of fax pages, for the strips of the G4 TIFFs we store
// (fax_tiff.h) - our own coder instead of libtiff's, which cost a third of our PDF -> TIFF
// time.
//
// The coder works on whole packed rows: each row's changing elements are found 64 pixels at
// a time (a word XORed with itself shifted by one pixel, then count-leading-zeros), and the
// two-dimensional coding then runs over those lists, never pixel by pixel. Codes are written
// by a 64-bit bit writer from tables transcribed from ITU-T T.4 (Tables 2 and 3: terminating
// and make-up codes; Table 4: pass, horizontal and vertical modes). The output is what a TIFF
// with Compression = 4, FillOrder = 1 (MSB first), T6Options = 0 holds in a strip: the rows
// coded against an imaginary white row before the first, then EOFB (two EOLs), padded with
// zero bits to a whole byte.
//
// Threading: encodeG4 is reentrant; it keeps no state between calls.
#pragma once

#include <string>

#include "gateway/image/fax_page.h"

namespace faxgate::gateway {

// The T.6 code of the page's rows (kFaxPageWidthPx wide, 1 = black). Throws ImageError if
// the page breaks the FaxPage invariant (bits.size() == heightPx * kFaxRowBytes, heightPx > 0).
std::string encodeG4(const FaxPage& page);

}  // namespace faxgate::gateway
