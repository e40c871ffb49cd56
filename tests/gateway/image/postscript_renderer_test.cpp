// renderPostScript: Ghostscript turns PostScript into PDF in a subprocess; the result lands
// on the fax grid like a PDF. Broken PostScript and non-PostScript give plain errors.
#include <gtest/gtest.h>

#include "gateway/image/renderers.h"
#include "test_documents.h"

namespace faxgate::gateway {
namespace {

using namespace testing;

// An A4 page with a 1 x 1 in black box 1 in from the left and 2 in from the top.
const char* kBoxPostScript =
    "%!PS-Adobe-3.0\n"
    "%%BoundingBox: 0 0 595 842\n"
    "<< /PageSize [595.276 841.89] >> setpagedevice\n"
    "newpath 72 "
    "625.89"
    " moveto 72 0 rlineto 0 72 rlineto -72 0 rlineto closepath fill\n"
    "showpage\n";

TEST(PostScriptRendererTest, BoxLandsWhereItWasDrawn) {
    const auto pages = renderPostScript(kBoxPostScript, FaxResolution::Fine, 5);
    ASSERT_EQ(pages.size(), 1u);
    EXPECT_EQ(pages[0].heightPx, 2292);
    // A4 is centred with 20 px left; the box covers columns 224..428, rows 392..588.
    EXPECT_EQ(countBlack(pages[0], 228, 396, 424, 584), (424 - 228) * (584 - 396));
    EXPECT_EQ(countBlack(pages[0]), countBlack(pages[0], 220, 388, 432, 592));
}

TEST(PostScriptRendererTest, PagesAndLimit) {
    const std::string threePages =
        "%!PS\n1 1 3 { pop 100 100 moveto 50 0 rlineto 0 50 rlineto "
        "-50 0 rlineto closepath fill showpage } for\n";
    EXPECT_EQ(renderPostScript(threePages, FaxResolution::Normal, 3).size(), 3u);
    EXPECT_THROW(renderPostScript(threePages, FaxResolution::Normal, 2), ImageError);
}

TEST(PostScriptRendererTest, BrokenPostScriptGivesGhostscriptsReason) {
    try {
        renderPostScript("%!PS\n this is not ( valid postscript\n", FaxResolution::Fine, 5);
        FAIL() << "no exception";
    } catch (const ImageError& e) {
        EXPECT_EQ(std::string(e.what()).rfind("the PostScript could not be converted", 0), 0u)
            << e.what();
    }
    EXPECT_THROW(renderPostScript("plain text", FaxResolution::Fine, 5), ImageError);
}

TEST(PostScriptRendererTest, SaferForbidsReadingFiles) {
    // With -dSAFER, opening /etc/passwd is an invalidfileaccess error.
    const std::string snoop =
        "%!PS\n(/etc/passwd) (r) file pop\n100 100 moveto 10 10 rlineto stroke showpage\n";
    EXPECT_THROW(renderPostScript(snoop, FaxResolution::Fine, 5), ImageError);
}

}  // namespace
}  // namespace faxgate::gateway
