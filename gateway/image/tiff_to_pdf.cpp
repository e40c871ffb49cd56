// Fax TIFF -> PDF by wrapping the coded data (see tiff_to_pdf.h).
//
// Two passes. The first reads every TIFF directory with libtiff over the input buffer, checks
// it can be wrapped and records where each strip's bytes are and how to describe them to a
// PDF reader; nothing is written until the whole file is known to be good, and the output is
// then sized in one allocation. The second pass writes the PDF straight into that string:
// strip bytes are copied from the input (bit-reversed per byte for FillOrder LSB2MSB), and
// numbers are formatted with std::to_chars - no streams, no per-pixel work. The strips are
// taken from the input by their offsets and byte counts (TIFFGetStrileOffset/ByteCount, the
// bytes TIFFReadRawStrip would return) so they are copied once, into the PDF, not first into
// a buffer.
//
// What the DecodeParms say, and why (checked by rendering with poppler and Ghostscript in
// tests/gateway/image/tiff_to_pdf_test.cpp):
// - K: -1 for T.6, 0 for T.4 1D and MH RLE, > 0 for T.4 2D (readers follow each line's tag).
// - EndOfLine true when a T.4 strip opens with an EOL: TIFF T.4 lines begin with EOL codes,
//   and with fill bits only a reader that looks for EOLs finds where each line starts
//   (Ghostscript decodes fill-bit data wrongly without it).
// - EncodedByteAlign true for fill bits (T4Options bit 2) and for MH RLE, whose rows start on
//   byte boundaries without EOLs.
// - EndOfBlock false: a reader stops after Rows rows; strips need not end with RTC or EOFB.
#include "gateway/image/tiff_to_pdf.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "gateway/image/fax_page.h"
#include "gateway/image/tiff_memory.h"

namespace faxgate::gateway {
namespace {

// How a strip's bytes are coded, as the PDF reader must be told.
enum class Coding {
    Uncompressed,  // rows of packed bits, each row padded to a byte
    CcittT4,       // G3: T.4 1D (Modified Huffman with EOLs) or 2D (MR); Compression 3
    CcittRle,      // Modified Huffman without EOLs, rows byte-aligned; Compression 2
    CcittT6,       // G4: Compression 4
};

struct StripRef {
    uint64_t offset = 0;  // into the TIFF
    uint64_t bytes = 0;   // copied to the PDF
    uint32_t rows = 0;
    uint32_t firstRow = 0;       // from the top of the page
    bool startsWithEol = false;  // T.4 only: the coded data opens with an EOL code
};

struct PageLayout {
    uint32_t widthPx = 0;
    uint32_t heightPx = 0;
    double xDpi = 0;
    double yDpi = 0;
    Coding coding = Coding::CcittT6;
    bool twoDimensional = false;  // T.4 2D (T4Options bit 0)
    bool fillBits = false;        // T.4 EOLs padded to end on a byte boundary (T4Options bit 2)
    bool minIsBlack = false;      // Photometric 1: a 0 sample is black
    bool reverseBits = false;     // FillOrder 2 (LSB2MSB)
    size_t firstStrip = 0;        // into the strips vector
    size_t stripCount = 0;
};

constexpr std::array<uint8_t, 256> makeBitReversalTable() {
    std::array<uint8_t, 256> table{};
    for (int i = 0; i < 256; ++i) {
        int reversed = 0;
        for (int bit = 0; bit < 8; ++bit)
            if (i & (1 << bit)) reversed |= 0x80 >> bit;
        table[i] = static_cast<uint8_t>(reversed);
    }
    return table;
}
constexpr std::array<uint8_t, 256> kBitReversal = makeBitReversalTable();

std::string pageError(int page, const std::string& what) {
    return "page " + std::to_string(page) + " " + what;
}

const char* compressionName(uint16_t compression) {
    switch (compression) {
        case COMPRESSION_LZW:
            return "LZW";
        case COMPRESSION_OJPEG:
        case COMPRESSION_JPEG:
            return "JPEG";
        case COMPRESSION_ADOBE_DEFLATE:
        case COMPRESSION_DEFLATE:
            return "Deflate";
        case COMPRESSION_PACKBITS:
            return "PackBits";
        case COMPRESSION_CCITTRLEW:
            return "CCITT RLE word-aligned";
        case COMPRESSION_JBIG:
            return "JBIG";
        case COMPRESSION_JP2000:
            return "JPEG 2000";
        case COMPRESSION_LZMA:
            return "LZMA";
        case COMPRESSION_ZSTD:
            return "Zstandard";
        case COMPRESSION_WEBP:
            return "WebP";
        default:
            return nullptr;
    }
}

// Leading zero bits of a T.4 strip, in coding order, tell whether it opens with an EOL
// (eleven or more zeros, then a one). Looks at most at the first 64 bytes.
bool opensWithEol(const uint8_t* data, uint64_t bytes, bool reverseBits) {
    int zeros = 0;
    for (uint64_t i = 0; i < bytes && i < 64; ++i) {
        const uint8_t byte = reverseBits ? kBitReversal[data[i]] : data[i];
        if (byte == 0) {
            zeros += 8;
            continue;
        }
        zeros += std::countl_zero(byte);
        return zeros >= 11;
    }
    return false;
}

// Resolutions believed; outside this range the tag is ignored.
constexpr double kMinDpi = 10, kMaxDpi = 20000;

// A resolution tag in dots per inch, or `fallbackDpi` when the tag is absent or unusable
// as a physical size (ResolutionUnit "none" only gives the aspect ratio, handled by caller).
double readDpi(TIFF* tif, ttag_t tag, uint16_t unit, double fallbackDpi) {
    float value = 0;
    if (!TIFFGetField(tif, tag, &value) || !std::isfinite(value) || value <= 0) return fallbackDpi;
    return unit == RESUNIT_CENTIMETER ? value * 2.54 : value;
}

// Reads the current directory (1-based page number `page`) into `layout`, appending its
// strips to `strips`. Throws ImageError if the page cannot be wrapped.
void readPage(TIFF* tif, std::string_view tiff, int page, const PdfWrapOptions& options,
              PageLayout& layout, std::vector<StripRef>& strips) {
    uint16_t compression = COMPRESSION_NONE;
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &compression);
    switch (compression) {
        case COMPRESSION_NONE:
            layout.coding = Coding::Uncompressed;
            break;
        case COMPRESSION_CCITTFAX3:
            layout.coding = Coding::CcittT4;
            break;
        case COMPRESSION_CCITTRLE:
            layout.coding = Coding::CcittRle;
            break;
        case COMPRESSION_CCITTFAX4:
            layout.coding = Coding::CcittT6;
            break;
        default: {
            const char* name = compressionName(compression);
            const std::string what = name ? std::string(name) + " compression"
                                          : "compression " + std::to_string(compression);
            throw ImageError(pageError(page, "uses " + what + ", which cannot be wrapped"));
        }
    }

    uint16_t bitsPerSample = 1, samplesPerPixel = 1;
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bitsPerSample);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &samplesPerPixel);
    if (bitsPerSample != 1 || samplesPerPixel != 1)
        throw ImageError(pageError(page, "is not black and white (" +
                                             std::to_string(bitsPerSample) + " bits per sample, " +
                                             std::to_string(samplesPerPixel) +
                                             " samples per pixel), so it is not a fax page"));
    uint16_t photometric = PHOTOMETRIC_MINISWHITE;  // fax convention when the tag is missing
    TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric);
    if (photometric != PHOTOMETRIC_MINISWHITE && photometric != PHOTOMETRIC_MINISBLACK)
        throw ImageError(pageError(page, "has photometric interpretation " +
                                             std::to_string(photometric) +
                                             "; only black-and-white fax pages can be wrapped"));
    layout.minIsBlack = photometric == PHOTOMETRIC_MINISBLACK;
    if (TIFFIsTiled(tif))
        throw ImageError(pageError(page, "is stored in tiles, which cannot be wrapped"));

    uint16_t fillOrder = FILLORDER_MSB2LSB;
    TIFFGetFieldDefaulted(tif, TIFFTAG_FILLORDER, &fillOrder);
    layout.reverseBits = fillOrder == FILLORDER_LSB2MSB;
    if (layout.coding == Coding::CcittT4) {
        uint32_t t4Options = 0;
        TIFFGetField(tif, TIFFTAG_GROUP3OPTIONS, &t4Options);
        layout.twoDimensional = (t4Options & GROUP3OPT_2DENCODING) != 0;
        layout.fillBits = (t4Options & GROUP3OPT_FILLBITS) != 0;
        // Bit 1 (uncompressed mode allowed) is only a permission; libtiff cannot decode that
        // mode either, so files that really use it do not occur in practice.
    }

    uint32_t width = 0, height = 0;
    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width) ||
        !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height) || width == 0 || height == 0)
        throw ImageError(pageError(page, "has no width or height"));
    if (width > static_cast<uint32_t>(options.maxSidePx) ||
        height > static_cast<uint32_t>(options.maxSidePx))
        throw ImageError(pageError(page, "is too large (" + std::to_string(width) + " x " +
                                             std::to_string(height) + " pixels, at most " +
                                             std::to_string(options.maxSidePx) + " either way)"));
    layout.widthPx = width;
    layout.heightPx = height;

    // Fax resolution when the tags are missing: 204 x 196 dpi, what we and most fax
    // software write. ResolutionUnit "none" gives only the aspect ratio: keep 204 across.
    uint16_t unit = RESUNIT_INCH;
    TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
    double xDpi = readDpi(tif, TIFFTAG_XRESOLUTION, unit, kHorizontalDpi);
    double yDpi = readDpi(tif, TIFFTAG_YRESOLUTION, unit, verticalDpi(FaxResolution::Fine));
    if (unit == RESUNIT_NONE) {
        yDpi = kHorizontalDpi * yDpi / xDpi;
        xDpi = kHorizontalDpi;
    }
    // A value no scanner or fax produces is a broken tag: treat it as absent rather than
    // make a page of a few microns or a few metres.
    if (xDpi < kMinDpi || xDpi > kMaxDpi) xDpi = kHorizontalDpi;
    if (yDpi < kMinDpi || yDpi > kMaxDpi) yDpi = verticalDpi(FaxResolution::Fine);
    const double widthInches = width / xDpi, heightInches = height / yDpi;
    if (widthInches > options.maxSideInches || heightInches > options.maxSideInches)
        throw ImageError(pageError(
            page, "is too large (" + std::to_string(static_cast<int>(std::ceil(widthInches))) +
                      " x " + std::to_string(static_cast<int>(std::ceil(heightInches))) +
                      " inches at its resolution; a PDF page may be at most " +
                      std::to_string(static_cast<int>(options.maxSideInches)) + " inches)"));
    layout.xDpi = xDpi;
    layout.yDpi = yDpi;

    uint32_t rowsPerStrip = height;
    TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &rowsPerStrip);
    if (rowsPerStrip == 0 || rowsPerStrip > height) rowsPerStrip = height;
    const uint32_t stripCount = (height + rowsPerStrip - 1) / rowsPerStrip;
    if (TIFFNumberOfStrips(tif) < stripCount)
        throw ImageError(pageError(page, "has " + std::to_string(TIFFNumberOfStrips(tif)) +
                                             " strips, too few for its " + std::to_string(height) +
                                             " rows"));
    if (strips.size() + stripCount > static_cast<size_t>(options.maxStrips))
        throw ImageError("the TIFF has more than " + std::to_string(options.maxStrips) +
                         " strips in all");

    const uint64_t rowBytes = (static_cast<uint64_t>(width) + 7) / 8;
    layout.firstStrip = strips.size();
    layout.stripCount = stripCount;
    for (uint32_t i = 0; i < stripCount; ++i) {
        StripRef strip;
        strip.firstRow = i * rowsPerStrip;
        strip.rows = std::min(rowsPerStrip, height - strip.firstRow);
        int offsetError = 0, countError = 0;
        strip.offset = TIFFGetStrileOffsetWithErr(tif, i, &offsetError);
        strip.bytes = TIFFGetStrileByteCountWithErr(tif, i, &countError);
        const std::string where = "strip " + std::to_string(i + 1);
        if (offsetError || countError)
            throw ImageError(pageError(page, "has an unreadable table of strips"));
        if (strip.bytes == 0) throw ImageError(pageError(page, where + " is empty"));
        if (strip.offset > tiff.size() || strip.bytes > tiff.size() - strip.offset)
            throw ImageError(pageError(page, where + " lies past the end of the file"));
        if (layout.coding == Coding::Uncompressed) {
            const uint64_t needed = rowBytes * strip.rows;
            if (strip.bytes < needed) throw ImageError(pageError(page, where + " is cut short"));
            strip.bytes = needed;  // anything after the last row is not part of the image
        }
        if (layout.coding == Coding::CcittT4)
            strip.startsWithEol =
                opensWithEol(reinterpret_cast<const uint8_t*>(tiff.data()) + strip.offset,
                             strip.bytes, layout.reverseBits);
        strips.push_back(strip);
    }
}

// Appends PDF syntax to a string reserved in advance; numbers via std::to_chars.
class PdfWriter {
  public:
    explicit PdfWriter(std::string& out) : out_(out) {}

    PdfWriter& operator<<(std::string_view text) {
        out_.append(text);
        return *this;
    }
    PdfWriter& operator<<(uint64_t value) { return integer(value); }
    PdfWriter& operator<<(uint32_t value) { return integer(value); }
    PdfWriter& operator<<(int value) { return integer(value); }

    // A real with up to `decimals` decimals, trailing zeros dropped.
    PdfWriter& real(double value, int decimals) {
        char text[64];
        auto [end, ec] =
            std::to_chars(text, text + sizeof text, value, std::chars_format::fixed, decimals);
        if (ec != std::errc()) throw ImageError("cannot format a number for the PDF");
        char* last = end;
        if (std::memchr(text, '.', static_cast<size_t>(end - text))) {
            while (last[-1] == '0') --last;
            if (last[-1] == '.') --last;
        }
        out_.append(text, static_cast<size_t>(last - text));
        return *this;
    }

    // Starts object `number`, recording its offset for the xref table.
    void beginObject(uint32_t number, std::vector<uint64_t>& offsets) {
        offsets[number] = out_.size();
        *this << number << " 0 obj\n";
    }

    // Appends `bytes` of `data`, bit-reversed per byte if `reverse`.
    void bytes(const char* data, size_t count, bool reverse) {
        if (!reverse) {
            out_.append(data, count);
            return;
        }
        const size_t start = out_.size();
        out_.resize(start + count);
        auto* dst = reinterpret_cast<uint8_t*>(out_.data() + start);
        const auto* src = reinterpret_cast<const uint8_t*>(data);
        for (size_t i = 0; i < count; ++i) dst[i] = kBitReversal[src[i]];
    }

    size_t size() const { return out_.size(); }

  private:
    template <typename T>
    PdfWriter& integer(T value) {
        char text[24];
        auto [end, ec] = std::to_chars(text, text + sizeof text, value);
        (void)ec;  // 24 characters hold any 64-bit integer
        out_.append(text, static_cast<size_t>(end - text));
        return *this;
    }

    std::string& out_;
};

// Decodes one UTF-8 character at `text[i]`, advancing i; U+FFFD for an invalid sequence.
char32_t nextCodePoint(std::string_view text, size_t& i) {
    const auto lead = static_cast<uint8_t>(text[i++]);
    if (lead < 0x80) return lead;
    int extra = 0;
    char32_t cp = 0;
    if ((lead & 0xE0) == 0xC0) {
        extra = 1;
        cp = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
        extra = 2;
        cp = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
        extra = 3;
        cp = lead & 0x07;
    } else {
        return 0xFFFD;
    }
    for (int k = 0; k < extra; ++k) {
        if (i >= text.size() || (static_cast<uint8_t>(text[i]) & 0xC0) != 0x80) return 0xFFFD;
        cp = (cp << 6) | (static_cast<uint8_t>(text[i++]) & 0x3F);
    }
    static constexpr char32_t kSmallest[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kSmallest[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0xFFFD;
    return cp;
}

// A PDF text string (UTF-16BE with a byte order mark, as a hex string) of at most
// `maxBytes` bytes of `utf8`, cut at a character boundary.
std::string pdfTextString(std::string_view utf8, size_t maxBytes) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string hex = "<FEFF";
    auto unit = [&hex](char32_t u) {
        for (int shift = 12; shift >= 0; shift -= 4) hex += kHex[(u >> shift) & 0xF];
    };
    size_t i = 0;
    while (i < utf8.size()) {
        size_t next = i;
        const char32_t cp = nextCodePoint(utf8, next);
        if (next > maxBytes) break;
        i = next;
        if (cp >= 0x10000) {
            unit(0xD800 + ((cp - 0x10000) >> 10));
            unit(0xDC00 + ((cp - 0x10000) & 0x3FF));
        } else {
            unit(cp);
        }
    }
    hex += '>';
    return hex;
}

std::string pdfDate(std::time_t when) {
    std::tm utc{};
    gmtime_r(&when, &utc);
    char text[32];
    std::strftime(text, sizeof text, "(D:%Y%m%d%H%M%SZ)", &utc);
    return text;
}

// Points per pixel at `dpi`, rounded to kScaleDecimals decimals. The page content scales
// pixels to points by this number and the MediaBox is the pixel count times the same number,
// exact in decimal, so the images end exactly on the page's edges and a reader rendering at
// the TIFF's resolution maps rows onto whole device pixels.
constexpr int kScaleDecimals = 6;
double pointsPerPixel(double dpi) { return std::round(72.0 / dpi * 1e6) / 1e6; }

// Room the dictionaries and content streams take, so the output is allocated once.
constexpr size_t kBytesPerPage = 640;
constexpr size_t kBytesPerStrip = 360;
constexpr size_t kBytesFixed = 1024;
constexpr size_t kXrefEntryBytes = 20;

}  // namespace

std::string wrapFaxTiffAsPdf(std::string_view tiff, const PdfWrapOptions& options) {
    const bool tiffMagic = tiff.size() >= 8 && (tiff.substr(0, 4) == std::string_view("II*\0", 4) ||
                                                tiff.substr(0, 4) == std::string_view("MM\0*", 4) ||
                                                tiff.substr(0, 4) == std::string_view("II+\0", 4) ||
                                                tiff.substr(0, 4) == std::string_view("MM\0+", 4));
    if (!tiffMagic) throw ImageError("not a TIFF");

    // Pass 1: every page checked and located.
    std::vector<PageLayout> pages;
    std::vector<StripRef> strips;
    uint64_t dataBytes = 0;
    {
        MemoryTiff file = MemoryTiff::openForReading(tiff);
        TIFF* tif = file.handle();
        for (int page = 1;; ++page) {
            if (page > options.maxPages)
                throw ImageError("the TIFF has more than " + std::to_string(options.maxPages) +
                                 " pages");
            PageLayout layout;
            readPage(tif, tiff, page, options, layout, strips);
            pages.push_back(layout);
            if (TIFFLastDirectory(tif)) break;
            if (!TIFFReadDirectory(tif))
                throw ImageError(pageError(
                    page + 1,
                    "is unreadable: " + (file.lastError().empty() ? std::string("bad directory")
                                                                  : file.lastError())));
        }
    }
    for (const StripRef& strip : strips) dataBytes += strip.bytes;

    // Object numbers: 1 catalog, 2 page tree, 3 document information, then for each page its
    // page object, its content stream and one image per strip.
    constexpr uint32_t kCatalog = 1, kPageTree = 2, kInfo = 3, kFirstPageObject = 4;
    const size_t objectCount = kFirstPageObject + 2 * pages.size() + strips.size();
    std::vector<uint64_t> offsets(objectCount, 0);

    std::string out;
    const std::string title =
        options.title.empty() ? std::string() : pdfTextString(options.title, options.maxTitleBytes);
    out.reserve(dataBytes + kBytesFixed + title.size() + pages.size() * kBytesPerPage +
                strips.size() * kBytesPerStrip + objectCount * kXrefEntryBytes);
    PdfWriter pdf(out);
    // The comment of high bytes marks the file as binary for transfer programs.
    pdf << "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";

    std::string content;
    uint32_t object = kFirstPageObject;
    std::vector<uint32_t> pageObjects;
    pageObjects.reserve(pages.size());
    for (const PageLayout& page : pages) {
        const uint32_t pageObject = object++;
        const uint32_t contentObject = object++;
        const uint32_t firstImageObject = object;
        object += static_cast<uint32_t>(page.stripCount);
        pageObjects.push_back(pageObject);

        // Page space in pixels: one scale from pixels to points, then each strip is placed
        // with integers (an image fills the unit square, PDF's y axis points up).
        content.clear();
        PdfWriter stream(content);
        const double xPtPerPx = pointsPerPixel(page.xDpi), yPtPerPx = pointsPerPixel(page.yDpi);
        stream << "q ";
        stream.real(xPtPerPx, kScaleDecimals) << " 0 0 ";
        stream.real(yPtPerPx, kScaleDecimals) << " 0 0 cm\n";
        for (size_t s = 0; s < page.stripCount; ++s) {
            const StripRef& strip = strips[page.firstStrip + s];
            stream << "q " << page.widthPx << " 0 0 " << strip.rows << " 0 "
                   << (page.heightPx - strip.firstRow - strip.rows) << " cm /I" << s << " Do Q\n";
        }
        stream << "Q\n";

        pdf.beginObject(pageObject, offsets);
        pdf << "<< /Type /Page /Parent " << kPageTree << " 0 R /MediaBox [0 0 ";
        pdf.real(page.widthPx * xPtPerPx, kScaleDecimals) << " ";
        pdf.real(page.heightPx * yPtPerPx, kScaleDecimals) << "] /Resources << /XObject <<";
        for (size_t s = 0; s < page.stripCount; ++s)
            pdf << " /I" << s << " " << static_cast<uint32_t>(firstImageObject + s) << " 0 R";
        pdf << " >> >> /Contents " << contentObject << " 0 R >>\nendobj\n";

        pdf.beginObject(contentObject, offsets);
        pdf << "<< /Length " << content.size() << " >>\nstream\n"
            << content << "endstream\nendobj\n";

        for (size_t s = 0; s < page.stripCount; ++s) {
            const StripRef& strip = strips[page.firstStrip + s];
            pdf.beginObject(static_cast<uint32_t>(firstImageObject + s), offsets);
            pdf << "<< /Type /XObject /Subtype /Image /Width " << page.widthPx << " /Height "
                << strip.rows << " /ColorSpace /DeviceGray /BitsPerComponent 1";
            if (page.coding == Coding::Uncompressed) {
                // Raw samples: DeviceGray 0 is black, so MinIsWhite data is inverted.
                if (!page.minIsBlack) pdf << " /Decode [1 0]";
            } else {
                // The CCITT codes name white and black runs; libtiff and PDF agree that a
                // white run is 0 samples in TIFF terms. The decoded PDF samples are 1 for
                // white unless BlackIs1: right for MinIsWhite; MinIsBlack shows the coded
                // "white" runs black, which BlackIs1 true gives.
                pdf << " /Filter /CCITTFaxDecode /DecodeParms << /K ";
                if (page.coding == Coding::CcittT6) {
                    pdf << "-1";
                } else if (page.coding == Coding::CcittT4 && page.twoDimensional) {
                    // Readers follow each line's 1D/2D tag bit; K only has to allow as many
                    // 2D lines in a row as the strip may hold.
                    pdf << strip.rows;
                } else {
                    pdf << "0";
                }
                pdf << " /Columns " << page.widthPx << " /Rows " << strip.rows << " /BlackIs1 "
                    << (page.minIsBlack ? "true" : "false");
                if (page.coding == Coding::CcittT4 && strip.startsWithEol)
                    pdf << " /EndOfLine true";
                if (page.coding == Coding::CcittRle ||
                    (page.coding == Coding::CcittT4 && page.fillBits))
                    pdf << " /EncodedByteAlign true";
                // Stop after Rows rows: strips of a page need not end with RTC or EOFB.
                pdf << " /EndOfBlock false >>";
            }
            pdf << " /Length " << strip.bytes << " >>\nstream\n";
            pdf.bytes(tiff.data() + strip.offset, strip.bytes, page.reverseBits);
            pdf << "\nendstream\nendobj\n";
        }
    }

    pdf.beginObject(kPageTree, offsets);
    pdf << "<< /Type /Pages /Count " << pages.size() << " /Kids [";
    for (uint32_t pageObject : pageObjects) pdf << " " << pageObject << " 0 R";
    pdf << " ] >>\nendobj\n";

    pdf.beginObject(kCatalog, offsets);
    pdf << "<< /Type /Catalog /Pages " << kPageTree << " 0 R >>\nendobj\n";

    pdf.beginObject(kInfo, offsets);
    pdf << "<< /Producer (faxgate) /CreationDate "
        << pdfDate(options.creationTime ? options.creationTime : std::time(nullptr));
    if (!title.empty()) pdf << " /Title " << title;
    pdf << " >>\nendobj\n";

    const size_t xrefOffset = pdf.size();
    pdf << "xref\n0 " << objectCount << "\n0000000000 65535 f\r\n";
    for (size_t n = 1; n < objectCount; ++n) {
        char entry[kXrefEntryBytes + 1];
        std::snprintf(entry, sizeof entry, "%010llu 00000 n\r\n",
                      static_cast<unsigned long long>(offsets[n]));
        pdf << std::string_view(entry, kXrefEntryBytes);
    }
    pdf << "trailer\n<< /Size " << objectCount << " /Root " << kCatalog << " 0 R /Info " << kInfo
        << " 0 R >>\nstartxref\n"
        << xrefOffset << "\n%%EOF\n";
    return out;
}

}  // namespace faxgate::gateway
