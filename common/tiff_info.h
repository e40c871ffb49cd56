// Facts about a TIFF file that more than one program needs (the gateway checks the pages it
// renders, the fax node counts the pages it is about to send). Only reads; never changes the
// file. Failure is normal here (a truncated upload, a file that is not a TIFF), so it is
// reported as a value with the reason in plain words, never as an exception.
#pragma once

#include <string>

namespace faxgate {

struct TiffPageCount {
    int pages = 0;      // number of directories (pages); 0 when error is set
    std::string error;  // empty on success, else why the file could not be read
    bool ok() const { return error.empty(); }
};

// Counts the pages of the TIFF file at `path`. Stops with an error after `maxPages`
// directories, so a crafted file with a directory loop or thousands of pages cannot keep
// the caller busy. Thread-safe: libtiff's diagnostics are captured per call, the global
// libtiff handlers are not touched.
TiffPageCount countTiffPages(const std::string& path, int maxPages = 1000);

}  // namespace faxgate
