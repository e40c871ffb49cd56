// Renderers: turn a document a user mailed (PDF, PostScript, TIFF, PNG, JPEG, plain text)
// into bilevel fax pages (fax_page.h), ready for writeFaxTiff (fax_tiff.h).
//
// Every function throws ImageError with a plain reason for bad input ("not a readable PDF",
// "the PDF is password-protected", "image too large"), and stops with ImageError once more
// than maxPages pages would be produced. Decoded images over 20000 x 20000 px or 100 MB are
// refused. Pages are A4 length at the resolution, longer only if the source page is longer.
//
// Threading: all functions are reentrant; renderPdf uses two threads of its own for
// documents of several pages.
#pragma once

#include <string_view>
#include <vector>

#include "gateway/image/fax_page.h"

namespace faxgate::gateway {

std::vector<FaxPage> renderPdf(std::string_view pdf, FaxResolution res, int maxPages);

// Converted to PDF by Ghostscript (`gs -dSAFER`, a subprocess with a time limit), then
// rendered as renderPdf does.
std::vector<FaxPage> renderPostScript(std::string_view ps, FaxResolution res, int maxPages);

// Any TIFF: bilevel/gray/RGB, any width/resolution.
std::vector<FaxPage> renderTiff(std::string_view tiff, FaxResolution res, int maxPages);

// PNG or JPEG -> 1 page (or more if very tall).
std::vector<FaxPage> renderRasterImage(std::string_view pngOrJpeg, FaxResolution res);

// Plain UTF-8 text laid out on A4 fax pages in a monospace font (DejaVu Sans Mono via cairo),
// wrapped at the page width, with margins.
std::vector<FaxPage> renderText(std::string_view utf8Text, FaxResolution res, int maxPages);

// The same, with `heading` lines (may be empty) printed bold at the top of the first page.
std::vector<FaxPage> renderText(std::string_view utf8Text, std::string_view heading,
                                FaxResolution res, int maxPages);

// What kind of document the bytes are, from their magic numbers (not from the file name).
enum class DocumentKind { Pdf, PostScript, Tiff, Png, Jpeg, Unknown };
DocumentKind sniffDocumentKind(std::string_view bytes);

}  // namespace faxgate::gateway
