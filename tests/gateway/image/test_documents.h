// Test inputs for gateway/image, generated at test time: PDFs drawn with cairo's PDF
// surface, PNG/JPEG/TIFF pictures, and helpers to look at pixels of fax pages.
#pragma once

// jpeglib.h uses size_t and FILE without including their headers: these come first.
// clang-format off
#include <stddef.h>
#include <stdio.h>
#include <jpeglib.h>
// clang-format on
#include <cairo-pdf.h>
#include <cairo.h>
#include <tiffio.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gateway/image/fax_page.h"

namespace faxgate::gateway::testing {

constexpr double kA4WidthPt = 595.276, kA4HeightPt = 841.89;
constexpr double kLetterWidthPt = 612, kLetterHeightPt = 792;

inline cairo_status_t appendToString(void* closure, const unsigned char* data,
                                     unsigned int length) {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
}

// A PDF of `pages` pages of widthPt x heightPt; draw(cr, pageIndex) paints each page.
inline std::string makePdf(int pages, double widthPt, double heightPt,
                           const std::function<void(cairo_t*, int)>& draw) {
    std::string pdf;
    cairo_surface_t* surface =
        cairo_pdf_surface_create_for_stream(appendToString, &pdf, widthPt, heightPt);
    cairo_t* cr = cairo_create(surface);
    for (int i = 0; i < pages; ++i) {
        draw(cr, i);
        cairo_show_page(cr);
    }
    cairo_destroy(cr);
    cairo_surface_finish(surface);
    cairo_surface_destroy(surface);
    return pdf;
}

// A black rectangle in points (PDF user space from the top-left, as cairo draws).
inline void blackBox(cairo_t* cr, double x, double y, double w, double h) {
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, x, y, w, h);
    cairo_fill(cr);
}

inline bool isBlack(const FaxPage& page, int x, int y) {
    return (page.bits[static_cast<size_t>(y) * kFaxRowBytes + x / 8] >> (7 - x % 8)) & 1;
}

// Black pixels in the rectangle [x0, x1) x [y0, y1).
inline int countBlack(const FaxPage& page, int x0, int y0, int x1, int y1) {
    int n = 0;
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) n += isBlack(page, x, y) ? 1 : 0;
    return n;
}

inline int countBlack(const FaxPage& page) {
    return countBlack(page, 0, 0, kFaxPageWidthPx, page.heightPx);
}

// First and last row holding a black pixel, or {-1, -1}.
inline std::pair<int, int> inkRows(const FaxPage& page) {
    int first = -1, last = -1;
    for (int y = 0; y < page.heightPx; ++y) {
        for (int b = 0; b < kFaxRowBytes; ++b) {
            if (page.bits[static_cast<size_t>(y) * kFaxRowBytes + b]) {
                if (first < 0) first = y;
                last = y;
                break;
            }
        }
    }
    return {first, last};
}

// A gray cairo image (RGB24) drawn by draw(cr), encoded as PNG.
inline std::string makePng(int width, int height, const std::function<void(cairo_t*)>& draw,
                           cairo_format_t format = CAIRO_FORMAT_RGB24) {
    cairo_surface_t* surface = cairo_image_surface_create(format, width, height);
    cairo_t* cr = cairo_create(surface);
    draw(cr);
    cairo_destroy(cr);
    std::string png;
    cairo_surface_write_to_png_stream(surface, appendToString, &png);
    cairo_surface_destroy(surface);
    return png;
}

// An 8-bit grayscale JPEG of width x height where pixel(x, y) gives the gray value.
inline std::string makeJpeg(int width, int height, const std::function<uint8_t(int, int)>& pixel) {
    jpeg_compress_struct cinfo{};
    jpeg_error_mgr err{};
    cinfo.err = jpeg_std_error(&err);
    jpeg_create_compress(&cinfo);
    unsigned char* buffer = nullptr;
    unsigned long size = 0;
    jpeg_mem_dest(&cinfo, &buffer, &size);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = 1;
    cinfo.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, 95, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    std::vector<uint8_t> row(width);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) row[x] = pixel(x, y);
        JSAMPROW rows[1] = {row.data()};
        jpeg_write_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    std::string jpeg(reinterpret_cast<char*>(buffer), size);
    std::free(buffer);
    return jpeg;
}

// A temporary file path, removed when the object goes.
class TempFile {
  public:
    TempFile() {
        char pattern[] = "/tmp/faxgate-image-test-XXXXXX";
        int fd = mkstemp(pattern);
        if (fd < 0) throw std::runtime_error("mkstemp failed");
        close(fd);
        path_ = pattern;
    }
    ~TempFile() { std::remove(path_.c_str()); }
    const std::string& path() const { return path_; }
    std::string read() const {
        std::string data;
        FILE* f = std::fopen(path_.c_str(), "rb");
        char buf[65536];
        size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, n);
        std::fclose(f);
        return data;
    }
    void write(const std::string& data) const {
        FILE* f = std::fopen(path_.c_str(), "wb");
        std::fwrite(data.data(), 1, data.size(), f);
        std::fclose(f);
    }

  private:
    std::string path_;
};

// One page of a TIFF written with libtiff: samples is width*height*samplesPerPixel bytes
// (8 bits) or ((width+7)/8)*height bytes (bitsPerSample 1).
struct TiffPageSpec {
    int width = 0, height = 0;
    int bitsPerSample = 8, samplesPerPixel = 1;
    uint16_t photometric = PHOTOMETRIC_MINISBLACK;
    uint16_t compression = COMPRESSION_NONE;
    float xDpi = 0, yDpi = 0;  // 0: no resolution tags
    std::vector<uint8_t> samples;
};

inline std::string makeTiff(const std::vector<TiffPageSpec>& pages) {
    TempFile file;
    TIFF* tif = TIFFOpen(file.path().c_str(), "w");
    for (const TiffPageSpec& p : pages) {
        TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, p.width);
        TIFFSetField(tif, TIFFTAG_IMAGELENGTH, p.height);
        TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, p.bitsPerSample);
        TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, p.samplesPerPixel);
        TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, p.photometric);
        TIFFSetField(tif, TIFFTAG_COMPRESSION, p.compression);
        TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
        TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, p.height);
        if (p.xDpi > 0) {
            TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
            TIFFSetField(tif, TIFFTAG_XRESOLUTION, p.xDpi);
            TIFFSetField(tif, TIFFTAG_YRESOLUTION, p.yDpi);
        }
        TIFFWriteEncodedStrip(tif, 0, const_cast<uint8_t*>(p.samples.data()),
                              static_cast<tmsize_t>(p.samples.size()));
        TIFFWriteDirectory(tif);
    }
    TIFFClose(tif);
    return file.read();
}

}  // namespace faxgate::gateway::testing
