// Page count of a TIFF file with libtiff; see tiff_info.h.
#include "common/tiff_info.h"

#include <tiffio.h>

#include <cstdarg>
#include <cstdio>
#include <memory>

namespace faxgate {
namespace {

// Keeps the first libtiff error of one open/read so it can become the reason we report,
// instead of libtiff printing it to stderr.
int captureTiffError(TIFF*, void* userData, const char* module, const char* format, va_list args) {
    auto* firstError = static_cast<std::string*>(userData);
    if (firstError->empty()) {
        char text[512];
        std::vsnprintf(text, sizeof text, format, args);
        *firstError = module != nullptr ? std::string(module) + ": " + text : std::string(text);
    }
    return 1;  // handled: libtiff must not call the global handler too
}

int ignoreTiffWarning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

}  // namespace

TiffPageCount countTiffPages(const std::string& path, int maxPages) {
    TiffPageCount result;
    std::string libtiffError;
    std::unique_ptr<TIFFOpenOptions, decltype(&TIFFOpenOptionsFree)> options(TIFFOpenOptionsAlloc(),
                                                                             &TIFFOpenOptionsFree);
    if (!options) {
        result.error = "out of memory opening " + path;
        return result;
    }
    TIFFOpenOptionsSetErrorHandlerExtR(options.get(), &captureTiffError, &libtiffError);
    TIFFOpenOptionsSetWarningHandlerExtR(options.get(), &ignoreTiffWarning, nullptr);
    // "m": do not memory-map; the file may be on a network file system.
    std::unique_ptr<TIFF, decltype(&TIFFClose)> tiff(TIFFOpenExt(path.c_str(), "rm", options.get()),
                                                     &TIFFClose);
    if (!tiff) {
        result.error = "not a readable TIFF file: " +
                       (libtiffError.empty() ? std::string("cannot open ") + path : libtiffError);
        return result;
    }
    int pages = 1;
    for (;;) {
        int more = TIFFReadDirectory(tiff.get());
        if (more == 0) break;
        if (++pages > maxPages) {
            result.error = "the TIFF file has more than " + std::to_string(maxPages) + " pages";
            return result;
        }
    }
    // TIFFReadDirectory returns 0 both at the end and on a damaged directory; only the
    // error handler tells the two apart.
    if (!libtiffError.empty()) {
        result.error =
            "damaged TIFF file after page " + std::to_string(pages) + ": " + libtiffError;
        return result;
    }
    result.pages = pages;
    return result;
}

}  // namespace faxgate
