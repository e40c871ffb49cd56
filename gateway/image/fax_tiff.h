// Encoding fax pages as the multi-page G4 TIFF that jobs store and nodes transmit, and
// counting the pages of such a file. Everything happens in memory (libtiff over a
// std::string buffer): no temporary files.
//
// The TIFF written is what fax software expects (TIFF Class F, with T.6 instead of T.4):
// Compression CCITT T.6 (G4), FillOrder MSB2LSB, Photometric MinIsWhite, 1728 px wide,
// XResolution 204 / YResolution 196 or 98 per inch, one strip per page, PageNumber n/total.
//
// Diagnostics: ImageError with a plain reason (no pages, a malformed page, unreadable TIFF).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gateway/image/fax_page.h"

namespace faxgate::gateway {

// Multi-page G4 (T.6) TIFF of `pages`, in memory. Throws ImageError if `pages` is empty or a
// page breaks the FaxPage invariant.
std::string writeFaxTiff(const std::vector<FaxPage>& pages);

// Number of pages (IFDs) in a TIFF. Throws ImageError if the bytes are not a readable TIFF.
int countTiffPages(std::string_view tiff);

}  // namespace faxgate::gateway
