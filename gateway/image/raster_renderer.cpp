// PNG and JPEG -> fax pages. Decoded to 8-bit gray (transparency composited on white paper),
// fitted to the page width keeping the aspect ratio (enlarged at most twice: a small logo
// should not become a poster), dithered (these are mostly photos and screenshots), and split
// over A4 pages if taller than one. Embedded DPI and EXIF orientation are ignored: mail
// clients set them unreliably, and fitting the width is what a sender expects.
//
// Diagnostics: "not a readable PNG: ...", "not a readable JPEG: ...", "image too large",
// "not a PNG or JPEG image".

// jpeglib.h uses size_t and FILE without including their headers: these come first.
// clang-format off
#include <stddef.h>
#include <stdio.h>
#include <jpeglib.h>
// clang-format on
#include <png.h>

#include <csetjmp>
#include <string>

#include "gateway/image/raster.h"
#include "gateway/image/renderers.h"

namespace faxgate::gateway {
namespace {

GrayImage decodePng(std::string_view bytes) {
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()))
        throw ImageError(std::string("not a readable PNG: ") + image.message);
    // From here on png_image_free must run on every path.
    struct Freer {
        png_image* image;
        ~Freer() { png_image_free(image); }
    } freer{&image};
    checkImageSize(image.width, image.height, 1);
    image.format = PNG_FORMAT_GRAY;  // no alpha: libpng composites onto `background`
    png_color white{255, 255, 255};
    GrayImage gray;
    gray.widthPx = static_cast<int>(image.width);
    gray.heightPx = static_cast<int>(image.height);
    gray.pixels.resize(PNG_IMAGE_SIZE(image));
    if (!png_image_finish_read(&image, &white, gray.pixels.data(), 0, nullptr))
        throw ImageError(std::string("not a readable PNG: ") + image.message);
    return gray;
}

// libjpeg reports fatal errors through error_exit, which must not return: we jump back to
// decodeJpeg's setjmp. Everything decodeJpeg touches after setjmp lives in this struct,
// reached through a pointer, so its values are well defined after the jump.
struct JpegErrorTrap {
    jpeg_error_mgr manager;  // first member: libjpeg's err pointer is cast back to us
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void jpegErrorExit(j_common_ptr cinfo) {
    auto* trap = reinterpret_cast<JpegErrorTrap*>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, trap->message);
    std::longjmp(trap->jump, 1);
}

void jpegSilentMessage(j_common_ptr, int) {
}  // warnings (corrupt-but-decodable data) are not errors

struct JpegDecode {
    jpeg_decompress_struct cinfo{};
    JpegErrorTrap trap{};
    GrayImage gray;
    std::vector<uint8_t> cmykRow;
    const char* limitError = nullptr;
};

// Returns false with d->trap.message (or d->limitError) set on failure. No C++ object with
// a destructor is created between setjmp and the end of this function.
bool runJpegDecode(JpegDecode* d, const unsigned char* data, unsigned long size) {
    d->cinfo.err = jpeg_std_error(&d->trap.manager);
    d->trap.manager.error_exit = jpegErrorExit;
    d->trap.manager.emit_message = jpegSilentMessage;
    if (setjmp(d->trap.jump)) {
        jpeg_destroy_decompress(&d->cinfo);
        return false;
    }
    jpeg_create_decompress(&d->cinfo);
    jpeg_mem_src(&d->cinfo, data, size);
    jpeg_read_header(&d->cinfo, TRUE);
    const bool cmyk =
        d->cinfo.jpeg_color_space == JCS_CMYK || d->cinfo.jpeg_color_space == JCS_YCCK;
    d->cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_GRAYSCALE;
    const int64_t width = d->cinfo.image_width, height = d->cinfo.image_height;
    if (width <= 0 || height <= 0 || width > kMaxImageSidePx || height > kMaxImageSidePx ||
        width * height * (cmyk ? 4 : 1) > kMaxDecodedImageBytes) {
        d->limitError = "image too large";
        jpeg_destroy_decompress(&d->cinfo);
        return false;
    }
    jpeg_start_decompress(&d->cinfo);
    d->gray.widthPx = static_cast<int>(d->cinfo.output_width);
    d->gray.heightPx = static_cast<int>(d->cinfo.output_height);
    d->gray.pixels.resize(static_cast<size_t>(d->gray.widthPx) * d->gray.heightPx);
    if (cmyk) d->cmykRow.resize(static_cast<size_t>(d->gray.widthPx) * 4);
    while (d->cinfo.output_scanline < d->cinfo.output_height) {
        const size_t y = d->cinfo.output_scanline;
        uint8_t* dst = d->gray.pixels.data() + y * d->gray.widthPx;
        JSAMPROW row = cmyk ? d->cmykRow.data() : dst;
        jpeg_read_scanlines(&d->cinfo, &row, 1);
        if (cmyk) {
            // Adobe writes CMYK JPEGs inverted (255 = no ink); brightness is the product
            // of the inverted inks.
            for (int x = 0; x < d->gray.widthPx; ++x) {
                const uint8_t* p = d->cmykRow.data() + x * 4;
                const unsigned r = p[0] * p[3] / 255, g = p[1] * p[3] / 255, b = p[2] * p[3] / 255;
                dst[x] = static_cast<uint8_t>((77 * r + 150 * g + 29 * b) >> 8);
            }
        }
    }
    jpeg_finish_decompress(&d->cinfo);
    jpeg_destroy_decompress(&d->cinfo);
    return true;
}

GrayImage decodeJpeg(std::string_view bytes) {
    JpegDecode decode;
    if (!runJpegDecode(&decode, reinterpret_cast<const unsigned char*>(bytes.data()),
                       static_cast<unsigned long>(bytes.size()))) {
        if (decode.limitError)
            throw ImageError(std::string(decode.limitError) + ": " +
                             std::to_string(decode.cinfo.image_width) + " x " +
                             std::to_string(decode.cinfo.image_height) + " pixels (the limit is " +
                             std::to_string(kMaxImageSidePx) + " pixels a side and " +
                             std::to_string(kMaxDecodedImageBytes >> 20) + " MB decoded)");
        throw ImageError(std::string("not a readable JPEG: ") + decode.trap.message);
    }
    return std::move(decode.gray);
}

}  // namespace

std::vector<FaxPage> renderRasterImage(std::string_view pngOrJpeg, FaxResolution res) {
    GrayImage gray;
    switch (sniffDocumentKind(pngOrJpeg)) {
        case DocumentKind::Png:
            gray = decodePng(pngOrJpeg);
            break;
        case DocumentKind::Jpeg:
            gray = decodeJpeg(pngOrJpeg);
            break;
        default:
            throw ImageError("not a PNG or JPEG image");
    }
    return scaleOntoPages(gray, 0, 0, res, Halftone::OrderedDither);
}

}  // namespace faxgate::gateway
