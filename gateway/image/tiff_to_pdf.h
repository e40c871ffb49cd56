// Fax TIFF -> PDF by wrapping: the G3/G4 data of each page goes into the PDF unchanged, as an
// image XObject with the CCITTFaxDecode filter, so the conversion costs a copy of the bytes,
// never a decode and re-encode, and the picture is exactly the one received. Used to put
// received faxes (TIFF from a node, as SpanDSP writes them) in users' mailboxes and to attach
// "what was sent" (our own G4 TIFFs, fax_tiff.h) to result mails.
//
// Accepted per page (TIFF directory): bilevel (1 bit, 1 sample), MinIsWhite or MinIsBlack,
// stored in strips, compressed as T.4 1D or 2D (Compression 3, with or without fill bits),
// T.6 (Compression 4), Modified Huffman RLE (Compression 2), or uncompressed (Compression 1),
// in either FillOrder (LSB2MSB data is bit-reversed per byte while it is copied). Each strip
// becomes one XObject (a strip is an independent coded image in TIFF: the G4 reference line
// restarts), and a page's strips are stacked top to bottom. The PDF page has the physical size
// of the fax page (pixels / resolution), so a 98-lpi "normal" page is neither stretched nor
// squashed. Orientation is ignored, as fax software does: rows are drawn as stored.
//
// Diagnostics: ImageError (fax_page.h) with a plain reason: "not a readable TIFF: ...",
// "page 3 uses JPEG compression, which cannot be wrapped", "page 2 is not bilevel ...",
// "the TIFF has more than 1000 pages", "page 1 strip 4 is cut short", ...
//
// Threading: reentrant; no shared state.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace faxgate::gateway {

struct PdfWrapOptions {
    // The PDF's /Title (UTF-8; invalid bytes become U+FFFD). Empty: no /Title.
    std::string title;
    // Titles longer than this many bytes are cut (at a character boundary).
    size_t maxTitleBytes = 1000;
    // /CreationDate; 0 means the current time.
    std::time_t creationTime = 0;
    // More pages than this: ImageError. A fax is rarely over a hundred pages.
    int maxPages = 1000;
    // Strips summed over all pages; each is an XObject. Most fax TIFFs have one per page.
    int maxStrips = 100000;
    // A page wider or taller than this many pixels: ImageError.
    int maxSidePx = 65535;
    // A page larger than this many inches either way: ImageError. 200 inches (14400 pt) is
    // the largest page PDF readers must support.
    double maxSideInches = 200;
};

// The PDF wrapping every page of the fax TIFF `tiff`. Throws ImageError (see above).
std::string wrapFaxTiffAsPdf(std::string_view tiff, const PdfWrapOptions& options = {});

}  // namespace faxgate::gateway
