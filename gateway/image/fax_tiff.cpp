// G4 TIFF encoding of fax pages and page counting (see fax_tiff.h).
//
// Each page is one strip, coded by our own T.6 coder (g4_encoder.h: about 1 ms of CPU for a
// letter page, where libtiff's coder took 2-4 ms plus a scratch TIFF per page) and written
// raw with TIFFWriteRawStrip under the Compression = 4 tags; libtiff only lays out the file.
// Documents of several pages are coded on two threads.
#include "gateway/image/fax_tiff.h"

#include <algorithm>
#include <exception>
#include <string>
#include <thread>

#include "gateway/image/g4_encoder.h"
#include "gateway/image/tiff_memory.h"

namespace faxgate::gateway {
namespace {

// A multi-page TIFF with more directories than this is not a document but an attack
// (libtiff would walk every IFD).
constexpr int kMaxTiffDirectories = 100000;

void checkPage(const FaxPage& page, size_t index) {
    if (page.heightPx <= 0 ||
        page.bits.size() != static_cast<size_t>(page.heightPx) * kFaxRowBytes) {
        throw ImageError("fax page " + std::to_string(index + 1) +
                         " is malformed: " + std::to_string(page.bits.size()) + " bytes for " +
                         std::to_string(page.heightPx) + " rows of " +
                         std::to_string(kFaxRowBytes) + " bytes");
    }
}

void setFaxTags(TIFF* tif, const FaxPage& page, size_t index, size_t pageCount) {
    TIFFSetField(tif, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, static_cast<uint32_t>(kFaxPageWidthPx));
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, static_cast<uint32_t>(page.heightPx));
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1);
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
    TIFFSetField(tif, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB);
    TIFFSetField(tif, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT);
    TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
    TIFFSetField(tif, TIFFTAG_XRESOLUTION, static_cast<float>(kHorizontalDpi));
    TIFFSetField(tif, TIFFTAG_YRESOLUTION, static_cast<float>(verticalDpi(page.resolution)));
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, static_cast<uint32_t>(page.heightPx));
    TIFFSetField(tif, TIFFTAG_GROUP4OPTIONS, 0);
    // PageNumber holds 16-bit values; a fax never gets near that.
    TIFFSetField(tif, TIFFTAG_PAGENUMBER, static_cast<uint16_t>(std::min<size_t>(index, 0xFFFF)),
                 static_cast<uint16_t>(std::min<size_t>(pageCount, 0xFFFF)));
}

}  // namespace

std::string writeFaxTiff(const std::vector<FaxPage>& pages) {
    if (pages.empty()) throw ImageError("a fax needs at least one page");
    for (size_t i = 0; i < pages.size(); ++i) checkPage(pages[i], i);

    // G4 coding is most of the cost; pages are independent, so two threads code alternate
    // pages and the file is then assembled from the coded strips in order.
    std::vector<std::string> strips(pages.size());
    const bool parallel = pages.size() >= 2 && std::thread::hardware_concurrency() >= 2;
    if (parallel) {
        std::exception_ptr helperError;
        std::thread helper([&] {
            try {
                for (size_t i = 1; i < pages.size(); i += 2) strips[i] = encodeG4(pages[i]);
            } catch (...) {
                helperError = std::current_exception();
            }
        });
        try {
            for (size_t i = 0; i < pages.size(); i += 2) strips[i] = encodeG4(pages[i]);
        } catch (...) {
            helper.join();
            throw;
        }
        helper.join();
        if (helperError) std::rethrow_exception(helperError);
    } else {
        for (size_t i = 0; i < pages.size(); ++i) strips[i] = encodeG4(pages[i]);
    }

    MemoryTiff out = MemoryTiff::openForWriting();
    for (size_t i = 0; i < pages.size(); ++i) {
        setFaxTags(out.handle(), pages[i], i, pages.size());
        if (TIFFWriteRawStrip(out.handle(), 0, strips[i].data(),
                              static_cast<tmsize_t>(strips[i].size())) < 0 ||
            !TIFFWriteDirectory(out.handle())) {
            throw ImageError("writing the TIFF failed on page " + std::to_string(i + 1) + ": " +
                             out.lastError());
        }
    }
    out.close();
    if (!out.lastError().empty()) throw ImageError("writing the TIFF failed: " + out.lastError());
    return std::move(out.buffer());
}

int countTiffPages(std::string_view tiff) {
    MemoryTiff in = MemoryTiff::openForReading(tiff);
    int pages = 1;
    while (TIFFReadDirectory(in.handle())) {
        if (++pages > kMaxTiffDirectories) throw ImageError("the TIFF has too many pages");
    }
    // TIFFReadDirectory returns 0 both at the end and on a broken IFD; only the latter
    // leaves an error message.
    if (!in.lastError().empty()) throw ImageError("not a readable TIFF: " + in.lastError());
    return pages;
}

}  // namespace faxgate::gateway
