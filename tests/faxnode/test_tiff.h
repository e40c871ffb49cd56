// Test helpers for the fax node's tests: tiny fax documents made with libtiff, and a
// temporary directory that removes itself.
#pragma once

#include <tiffio.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace faxgate::node::testing {

// Writes a G4 (T.6) TIFF of `pages` pages, 1728 px wide and `rows` rows tall, fine
// resolution (204x196 dpi), as a fax node sends it; `fillRow(page, y, row)` sets each row's
// 216 bytes (most significant bit first, 1 = black), which start all white.
inline void writeG4FaxTiff(const std::string& path, int pages, uint32_t rows,
                           const std::function<void(int, uint32_t, unsigned char*)>& fillRow) {
    TIFF* tiff = TIFFOpen(path.c_str(), "w");
    if (tiff == nullptr) throw std::runtime_error("cannot create " + path);
    const uint32_t width = 1728;
    std::vector<unsigned char> row(width / 8);
    for (int page = 0; page < pages; ++page) {
        TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, width);
        TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, rows);
        TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, 1);
        TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, 1);
        TIFFSetField(tiff, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
        TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
        TIFFSetField(tiff, TIFFTAG_FILLORDER, FILLORDER_LSB2MSB);
        TIFFSetField(tiff, TIFFTAG_XRESOLUTION, 204.0);
        TIFFSetField(tiff, TIFFTAG_YRESOLUTION, 196.0);
        TIFFSetField(tiff, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
        TIFFSetField(tiff, TIFFTAG_ROWSPERSTRIP, rows);
        TIFFSetField(tiff, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
        TIFFSetField(tiff, TIFFTAG_PAGENUMBER, page, pages);
        for (uint32_t y = 0; y < rows; ++y) {
            std::fill(row.begin(), row.end(), 0x00);
            fillRow(page, y, row.data());
            if (TIFFWriteScanline(tiff, row.data(), y, 0) < 0) {
                TIFFClose(tiff);
                throw std::runtime_error("cannot write " + path);
            }
        }
        if (!TIFFWriteDirectory(tiff)) {
            TIFFClose(tiff);
            throw std::runtime_error("cannot write a directory of " + path);
        }
    }
    TIFFClose(tiff);
}

// Writes a G4 TIFF of `pages` pages, 1728 px wide and `rows` rows tall, fine resolution, with
// a diagonal-ish mark so pages are not blank.
inline void writeFaxTiff(const std::string& path, int pages, uint32_t rows = 40) {
    writeG4FaxTiff(path, pages, rows,
                   [](int, uint32_t y, unsigned char* row) { row[y % (1728 / 8)] = 0xff; });
}

inline std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

inline void writeFile(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary);
    out << content;
}

class TempDir {
  public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "faxnode-test-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

  private:
    std::string path_;
};

}  // namespace faxgate::node::testing
