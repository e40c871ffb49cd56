// Document type from magic numbers (see renderers.h). The file name and the MIME type a
// mail client chose are unreliable; the first bytes are not.
#include "gateway/image/renderers.h"

namespace faxgate::gateway {
namespace {

bool startsWith(std::string_view bytes, std::string_view magic) {
    return bytes.substr(0, magic.size()) == magic;
}

}  // namespace

DocumentKind sniffDocumentKind(std::string_view bytes) {
    // PDF readers accept the header anywhere in the first 1024 bytes (some generators put a
    // preamble first), so we do too.
    if (bytes.substr(0, 1024).find("%PDF-") != std::string_view::npos) return DocumentKind::Pdf;
    // "%!" starts every PostScript file ("%!PS-Adobe-3.0", plain "%!"); C5 D0 D3 C6 starts
    // a DOS EPS binary with a preview.
    if (startsWith(bytes, "%!") || startsWith(bytes, "\x04%!") ||
        startsWith(bytes, std::string_view("\xC5\xD0\xD3\xC6", 4)))
        return DocumentKind::PostScript;
    if (startsWith(bytes, std::string_view("II*\0", 4)) ||
        startsWith(bytes, std::string_view("MM\0*", 4)) ||
        startsWith(bytes, std::string_view("II+\0", 4)) ||  // BigTIFF
        startsWith(bytes, std::string_view("MM\0+", 4)))
        return DocumentKind::Tiff;
    if (startsWith(bytes, "\x89PNG\r\n\x1A\n")) return DocumentKind::Png;
    if (startsWith(bytes, "\xFF\xD8\xFF")) return DocumentKind::Jpeg;
    return DocumentKind::Unknown;
}

}  // namespace faxgate::gateway
