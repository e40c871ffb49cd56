// renderPdf: geometry on the fax grid (a box drawn at a known place comes out there), fine
// vs normal, page sizes, page order with two threads, limits and unreadable files.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "gateway/image/renderers.h"
#include "test_documents.h"

namespace faxgate::gateway {
namespace {

using namespace testing;

// A4 at 204 dpi is 1687 px wide, centred on the 1728 line: 20 px of white on the left.
constexpr int kA4LeftPx = (1728 - 1687) / 2;

// The fax pixel rectangle of a box at (x, y) inches, w x h inches, on an A4 page.
struct Box {
    int x0, y0, x1, y1;
};
Box faxBox(double xIn, double yIn, double wIn, double hIn, FaxResolution res) {
    const double vdpi = verticalDpi(res);
    return {kA4LeftPx + static_cast<int>(xIn * 204), static_cast<int>(yIn * vdpi),
            kA4LeftPx + static_cast<int>((xIn + wIn) * 204), static_cast<int>((yIn + hIn) * vdpi)};
}

// All black inside (3 px in from the edges) and all white in a 6 px ring around it.
void expectBoxAt(const FaxPage& page, const Box& b) {
    constexpr int in = 3, ring = 6;
    const int inside = (b.x1 - b.x0 - 2 * in) * (b.y1 - b.y0 - 2 * in);
    EXPECT_EQ(countBlack(page, b.x0 + in, b.y0 + in, b.x1 - in, b.y1 - in), inside);
    EXPECT_EQ(countBlack(page, b.x0 - in - ring, b.y0 - in - ring, b.x1 + in + ring, b.y0 - in), 0)
        << "above";
    EXPECT_EQ(countBlack(page, b.x0 - in - ring, b.y1 + in, b.x1 + in + ring, b.y1 + in + ring), 0)
        << "below";
    EXPECT_EQ(countBlack(page, b.x0 - in - ring, b.y0, b.x0 - in, b.y1), 0) << "left";
    EXPECT_EQ(countBlack(page, b.x1 + in, b.y0, b.x1 + in + ring, b.y1), 0) << "right";
}

// One A4 page with a black box 1 in from the left, 2 in from the top, 1 x 1.5 in.
std::string boxPdf() {
    return makePdf(1, kA4WidthPt, kA4HeightPt,
                   [](cairo_t* cr, int) { blackBox(cr, 72, 144, 72, 108); });
}

TEST(PdfRendererTest, BoxComesOutAtItsPlaceOnAFinePage) {
    const auto pages = renderPdf(boxPdf(), FaxResolution::Fine, 10);
    ASSERT_EQ(pages.size(), 1u);
    EXPECT_EQ(pages[0].resolution, FaxResolution::Fine);
    EXPECT_EQ(pages[0].heightPx, 2292);
    EXPECT_EQ(pages[0].bits.size(), 2292u * 216);
    expectBoxAt(pages[0], faxBox(1, 2, 1, 1.5, FaxResolution::Fine));
    // Nothing else on the page.
    const Box b = faxBox(1, 2, 1, 1.5, FaxResolution::Fine);
    EXPECT_EQ(countBlack(pages[0]), countBlack(pages[0], b.x0 - 3, b.y0 - 3, b.x1 + 3, b.y1 + 3));
}

TEST(PdfRendererTest, NormalResolutionHasHalfTheRows) {
    const auto pages = renderPdf(boxPdf(), FaxResolution::Normal, 10);
    ASSERT_EQ(pages.size(), 1u);
    EXPECT_EQ(pages[0].resolution, FaxResolution::Normal);
    EXPECT_EQ(pages[0].heightPx, 1146);
    EXPECT_EQ(pages[0].bits.size(), 1146u * 216);
    expectBoxAt(pages[0], faxBox(1, 2, 1, 1.5, FaxResolution::Normal));
}

TEST(PdfRendererTest, LetterPageIsFittedToTheFullWidth) {
    // A box across the whole width: Letter (1734 px at 204 dpi) is scaled to 1728.
    const std::string pdf = makePdf(1, kLetterWidthPt, kLetterHeightPt, [](cairo_t* cr, int) {
        blackBox(cr, 0, 72, kLetterWidthPt, 72);
    });
    const auto pages = renderPdf(pdf, FaxResolution::Fine, 10);
    ASSERT_EQ(pages.size(), 1u);
    const int row = 196 + 98;  // middle of the box
    EXPECT_TRUE(isBlack(pages[0], 1, row));
    EXPECT_TRUE(isBlack(pages[0], 1726, row));
    // Letter is 11 in long: shorter than A4, so the fax page is A4 long.
    EXPECT_EQ(pages[0].heightPx, 2292);
}

TEST(PdfRendererTest, LongPageKeepsItsLength) {
    // US Legal, 8.5 x 14 in: fitted to 1728 px across (x 0.9965), so 14 in is 2735 rows fine.
    const std::string pdf =
        makePdf(1, 612, 14 * 72, [](cairo_t* cr, int) { blackBox(cr, 72, 13 * 72, 72, 36); });
    const auto pages = renderPdf(pdf, FaxResolution::Fine, 10);
    ASSERT_EQ(pages.size(), 1u);
    EXPECT_NEAR(pages[0].heightPx, 2735, 2);
    EXPECT_GT(countBlack(pages[0], 200, 13 * 196 + 10, 400, 13 * 196 + 80), 10000);
}

TEST(PdfRendererTest, LandscapePageIsTurnedToFillThePortraitPage) {
    // A4 landscape with a box over its whole left half.
    const std::string pdf = makePdf(1, kA4HeightPt, kA4WidthPt, [](cairo_t* cr, int) {
        blackBox(cr, 0, 0, kA4HeightPt / 2, kA4WidthPt);
    });
    const auto pages = renderPdf(pdf, FaxResolution::Fine, 10);
    ASSERT_EQ(pages.size(), 1u);
    EXPECT_NEAR(pages[0].heightPx, 2292, 2);
    // Turned a quarter: the left half of the landscape page is now one half of the rows.
    const int half = pages[0].heightPx / 2;
    const int topInk = countBlack(pages[0], 0, 0, 1728, half - 10);
    const int bottomInk = countBlack(pages[0], 0, half + 10, 1728, pages[0].heightPx);
    EXPECT_TRUE((topInk == 0) != (bottomInk == 0)) << topInk << " / " << bottomInk;
}

TEST(PdfRendererTest, ManyPagesComeOutInOrder) {
    // Page i has its box i * 0.5 in lower: catches pages swapped between the two threads.
    const std::string pdf = makePdf(7, kA4WidthPt, kA4HeightPt, [](cairo_t* cr, int i) {
        blackBox(cr, 72, 72 + i * 36, 72, 18);
    });
    const auto pages = renderPdf(pdf, FaxResolution::Fine, 7);
    ASSERT_EQ(pages.size(), 7u);
    for (int i = 0; i < 7; ++i) {
        SCOPED_TRACE("page " + std::to_string(i + 1));
        expectBoxAt(pages[i], faxBox(1, 1 + i * 0.5, 1, 0.25, FaxResolution::Fine));
    }
}

TEST(PdfRendererTest, GrayFillIsDitheredNotLostOrSolid) {
    const std::string pdf = makePdf(1, kA4WidthPt, kA4HeightPt, [](cairo_t* cr, int) {
        cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
        cairo_rectangle(cr, 72, 72, 144, 144);
        cairo_fill(cr);
    });
    const auto pages = renderPdf(pdf, FaxResolution::Fine, 1);
    const Box b = faxBox(1, 1, 2, 2, FaxResolution::Fine);
    const double area = (b.x1 - b.x0 - 8.0) * (b.y1 - b.y0 - 8.0);
    const double ink = countBlack(pages[0], b.x0 + 4, b.y0 + 4, b.x1 - 4, b.y1 - 4) / area;
    EXPECT_GT(ink, 0.35);
    EXPECT_LT(ink, 0.65);
}

TEST(PdfRendererTest, MorePagesThanTheLimitIsRefused) {
    const std::string pdf =
        makePdf(5, kA4WidthPt, kA4HeightPt, [](cairo_t* cr, int) { blackBox(cr, 0, 0, 10, 10); });
    try {
        renderPdf(pdf, FaxResolution::Fine, 4);
        FAIL() << "no exception";
    } catch (const ImageError& e) {
        EXPECT_NE(std::string(e.what()).find("limit of 4"), std::string::npos) << e.what();
    }
    EXPECT_EQ(renderPdf(pdf, FaxResolution::Normal, 5).size(), 5u);
}

// A PDF with a Standard security handler whose user password is not empty: poppler cannot
// open it without the password.
std::string encryptedPdf() {
    std::string pdf = "%PDF-1.4\n";
    std::vector<size_t> offsets;
    auto object = [&](const std::string& body) {
        offsets.push_back(pdf.size());
        pdf += std::to_string(offsets.size()) + " 0 obj\n" + body + "\nendobj\n";
    };
    object("<< /Type /Catalog /Pages 2 0 R >>");
    object("<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    object("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>");
    const std::string hex32(64, 'A');
    object("<< /Filter /Standard /V 1 /R 2 /O <" + hex32 + "> /U <" + std::string(64, '5') +
           "> /P -44 >>");
    const size_t xref = pdf.size();
    pdf += "xref\n0 5\n0000000000 65535 f \n";
    for (size_t offset : offsets) {
        char line[32];
        std::snprintf(line, sizeof line, "%010zu 00000 n \n", offset);
        pdf += line;
    }
    pdf +=
        "trailer\n<< /Size 5 /Root 1 0 R /Encrypt 4 0 R /ID [<0123456789ABCDEF0123456789ABCDEF> "
        "<0123456789ABCDEF0123456789ABCDEF>] >>\nstartxref\n" +
        std::to_string(xref) + "\n%%EOF\n";
    return pdf;
}

std::string errorOf(const std::string& pdf) {
    try {
        renderPdf(pdf, FaxResolution::Fine, 10);
    } catch (const ImageError& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(PdfRendererTest, PasswordProtectedPdfIsRefusedWithAPlainReason) {
    EXPECT_EQ(errorOf(encryptedPdf()), "the PDF is password-protected");
}

TEST(PdfRendererTest, GarbageIsNotAReadablePdf) {
    EXPECT_EQ(errorOf(""), "not a readable PDF");
    EXPECT_EQ(errorOf("%PDF-1.4\nthis is not really a PDF\n%%EOF\n"), "not a readable PDF");
    std::string truncated = boxPdf();
    truncated.resize(truncated.size() / 3);
    const std::string reason = errorOf(truncated);
    // Poppler can rebuild a damaged file; if it cannot, the reason must be plain.
    EXPECT_TRUE(reason == "not a readable PDF" || reason == "(no error)" ||
                reason.find("page") != std::string::npos)
        << reason;
}

}  // namespace
}  // namespace faxgate::gateway
