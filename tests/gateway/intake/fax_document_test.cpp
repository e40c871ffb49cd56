// Tests of convertMail: page order and counts of the finished TIFF (counted with
// countTiffPages), the cover page switch, the page limit over the whole document, and the
// whole path from a raw mail through parseMail. Documents are made here with cairo (PDF,
// PNG) and libjpeg (JPEG).
#include "gateway/intake/fax_document.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <gtest/gtest.h>
#include <jpeglib.h>

#include <cstdio>

#include "common/text_template.h"
#include "gateway/image/fax_tiff.h"
#include "gateway/intake/mail_parser.h"
#include "tests/gateway/intake/test_mails.h"

namespace faxgate::gateway {
namespace {

cairo_status_t appendToString(void* closure, const unsigned char* data, unsigned int length) {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
}

// An A4 PDF with `pages` pages, each with a line of text.
std::string makePdf(int pages) {
    std::string pdf;
    cairo_surface_t* surface =
        cairo_pdf_surface_create_for_stream(appendToString, &pdf, 595.0, 842.0);
    cairo_t* cr = cairo_create(surface);
    for (int i = 0; i < pages; ++i) {
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                               CAIRO_FONT_WEIGHT_NORMAL);
        cairo_set_font_size(cr, 24);
        cairo_move_to(cr, 72, 100);
        cairo_show_text(cr, ("Page " + std::to_string(i + 1)).c_str());
        cairo_rectangle(cr, 72, 200, 300, 100);
        cairo_fill(cr);
        cairo_show_page(cr);
    }
    cairo_destroy(cr);
    cairo_surface_finish(surface);
    cairo_surface_destroy(surface);
    return pdf;
}

std::string makePng() {
    cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 400, 300);
    cairo_t* cr = cairo_create(surface);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, 50, 50, 300, 200);
    cairo_fill(cr);
    cairo_destroy(cr);
    std::string png;
    cairo_surface_write_to_png_stream(surface, appendToString, &png);
    cairo_surface_destroy(surface);
    return png;
}

std::string makeJpeg() {
    jpeg_compress_struct compressor{};
    jpeg_error_mgr errors{};
    compressor.err = jpeg_std_error(&errors);
    jpeg_create_compress(&compressor);
    unsigned char* buffer = nullptr;
    unsigned long size = 0;
    jpeg_mem_dest(&compressor, &buffer, &size);
    compressor.image_width = 320;
    compressor.image_height = 240;
    compressor.input_components = 1;
    compressor.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&compressor);
    jpeg_start_compress(&compressor, TRUE);
    std::vector<unsigned char> row(320);
    while (compressor.next_scanline < compressor.image_height) {
        for (size_t x = 0; x < row.size(); ++x)
            row[x] = (x / 40 + compressor.next_scanline / 40) % 2 ? 0 : 255;
        JSAMPROW rows[1] = {row.data()};
        jpeg_write_scanlines(&compressor, rows, 1);
    }
    jpeg_finish_compress(&compressor);
    jpeg_destroy_compress(&compressor);
    std::string jpeg(reinterpret_cast<const char*>(buffer), size);
    free(buffer);
    return jpeg;
}

MailAttachment attachment(std::string name, std::string type, DocumentKind kind, std::string data) {
    return MailAttachment{std::move(name), std::move(type), kind, std::move(data)};
}

ConversionOptions optionsWithCover(bool cover) {
    ConversionOptions options;
    options.coverPage = cover;
    options.templatesDir = FAXGATE_SOURCE_DIR "/templates";
    return options;
}

CoverPageInfo someCover() {
    return CoverPageInfo{
        "Alice <alice@example.com>", {"0312345678", "+4930123456"}, "Invoice", "24 Nov 2025 10:00"};
}

TEST(FaxDocument, CoverPdfAndPngMakeThreePages) {
    ParsedMail mail;
    mail.bodyText = "Please find the invoice attached.";
    mail.attachments.push_back(
        attachment("a.pdf", "application/pdf", DocumentKind::Pdf, makePdf(1)));
    mail.attachments.push_back(attachment("b.png", "image/png", DocumentKind::Png, makePng()));
    FaxDocument document = convertMail(mail, someCover(), optionsWithCover(true));
    EXPECT_EQ(document.pages, 3);
    EXPECT_EQ(countTiffPages(document.tiff), 3);
}

TEST(FaxDocument, WithoutCoverTheBodyBecomesTextPages) {
    ParsedMail mail;
    mail.bodyText = "Body text";
    mail.attachments.push_back(
        attachment("a.pdf", "application/pdf", DocumentKind::Pdf, makePdf(2)));
    mail.attachments.push_back(attachment("c.jpg", "image/jpeg", DocumentKind::Jpeg, makeJpeg()));
    FaxDocument document = convertMail(mail, someCover(), optionsWithCover(false));
    EXPECT_EQ(document.pages, 4);  // body, 2 PDF pages, JPEG
    EXPECT_EQ(countTiffPages(document.tiff), 4);

    mail.bodyText = "  \n ";  // blank: no text page
    document = convertMail(mail, someCover(), optionsWithCover(false));
    EXPECT_EQ(countTiffPages(document.tiff), 3);
}

TEST(FaxDocument, NormalResolutionIsHonoured) {
    ParsedMail mail;
    mail.attachments.push_back(
        attachment("a.pdf", "application/pdf", DocumentKind::Pdf, makePdf(1)));
    ConversionOptions options = optionsWithCover(false);
    options.resolution = FaxResolution::Normal;
    FaxDocument document = convertMail(mail, someCover(), options);
    EXPECT_EQ(countTiffPages(document.tiff), 1);
}

TEST(FaxDocument, LongBodyRunsOverSeveralCoverPagesAndIsCounted) {
    ParsedMail mail;
    for (int i = 0; i < 300; ++i)
        mail.bodyText += "Line " + std::to_string(i) + " of a long letter\n";
    mail.attachments.push_back(
        attachment("a.pdf", "application/pdf", DocumentKind::Pdf, makePdf(1)));
    FaxDocument document = convertMail(mail, someCover(), optionsWithCover(true));
    EXPECT_GT(document.pages, 3);
    EXPECT_EQ(countTiffPages(document.tiff), document.pages);
}

TEST(FaxDocument, TextAttachmentsBecomeTextPages) {
    ParsedMail mail;
    mail.attachments.push_back(
        attachment("notes.txt", "text/plain", DocumentKind::Unknown, "Notizen für heute\n"));
    FaxDocument document = convertMail(mail, someCover(), optionsWithCover(false));
    EXPECT_EQ(countTiffPages(document.tiff), 1);
}

TEST(FaxDocument, PageLimitCoversTheWholeDocument) {
    ParsedMail mail;
    mail.attachments.push_back(
        attachment("a.pdf", "application/pdf", DocumentKind::Pdf, makePdf(1)));
    mail.attachments.push_back(
        attachment("b.pdf", "application/pdf", DocumentKind::Pdf, makePdf(1)));
    ConversionOptions options = optionsWithCover(true);
    options.maxPages = 2;  // cover + a.pdf fit, b.pdf does not
    try {
        convertMail(mail, someCover(), options);
        FAIL() << "expected IntakeError";
    } catch (const IntakeError& e) {
        EXPECT_STREQ(e.what(), "the document has more than 2 pages");
    }
    options.maxPages = 3;
    EXPECT_EQ(convertMail(mail, someCover(), options).pages, 3);
}

TEST(FaxDocument, OversizedAttachmentIsRefusedNamingIt) {
    ParsedMail mail;
    mail.attachments.push_back(
        attachment("big.pdf", "application/pdf", DocumentKind::Pdf, makePdf(5)));
    ConversionOptions options = optionsWithCover(false);
    options.maxPages = 3;
    try {
        convertMail(mail, someCover(), options);
        FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("big.pdf"), std::string::npos) << e.what();
    }
}

TEST(FaxDocument, NothingToFaxWithoutCoverIsAnError) {
    ParsedMail mail;
    EXPECT_THROW(convertMail(mail, someCover(), optionsWithCover(false)), IntakeError);
}

TEST(FaxDocument, MissingCoverTemplateIsATemplateError) {
    ParsedMail mail;
    mail.bodyText = "x";
    ConversionOptions options = optionsWithCover(true);
    options.templatesDir = "/nonexistent";
    EXPECT_THROW(convertMail(mail, someCover(), options), TemplateError);
}

TEST(FaxDocument, UnreadableDocumentIsAnImageErrorNamingIt) {
    ParsedMail mail;
    mail.attachments.push_back(
        attachment("broken.pdf", "application/pdf", DocumentKind::Pdf, "%PDF-1.4 garbage"));
    try {
        convertMail(mail, someCover(), optionsWithCover(false));
        FAIL() << "expected ImageError";
    } catch (const ImageError& e) {
        EXPECT_NE(std::string(e.what()).find("broken.pdf"), std::string::npos) << e.what();
    }
}

TEST(FaxDocument, FromRawMailToTiff) {
    std::string raw = testing::crlf(
                          "From: =?UTF-8?Q?J=C3=B6rg?= <j@example.com>\n"
                          "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\n"
                          "Content-Type: multipart/mixed; boundary=b\n"
                          "\n"
                          "--b\n"
                          "Content-Type: text/plain; charset=utf-8\n"
                          "\n"
                          "Hallo, anbei das Dokument.\n"
                          "--b\n"
                          "Content-Type: application/pdf; name=doc.pdf\n"
                          "Content-Transfer-Encoding: base64\n"
                          "\n") +
                      testing::base64Lines(makePdf(2)) + testing::crlf("\n--b--\n");
    ParseOutcome outcome = parseMail(raw, IntakeLimits{});
    ASSERT_TRUE(outcome.mail) << outcome.error;
    CoverPageInfo cover{outcome.mail->from, {"0312345678"}, outcome.mail->subject, "today"};
    FaxDocument document = convertMail(*outcome.mail, cover, optionsWithCover(true));
    EXPECT_EQ(document.pages, 3);
    EXPECT_EQ(countTiffPages(document.tiff), 3);
}

}  // namespace
}  // namespace faxgate::gateway
