// sniffDocumentKind: magic numbers, not names.
#include <gtest/gtest.h>

#include "gateway/image/renderers.h"

namespace faxgate::gateway {
namespace {

TEST(DocumentKindTest, RecognisesEachKindByItsMagicNumber) {
    EXPECT_EQ(sniffDocumentKind("%PDF-1.7\n..."), DocumentKind::Pdf);
    EXPECT_EQ(sniffDocumentKind("junk before the header\n%PDF-1.4\n"), DocumentKind::Pdf);
    EXPECT_EQ(sniffDocumentKind("%!PS-Adobe-3.0\n"), DocumentKind::PostScript);
    EXPECT_EQ(sniffDocumentKind(std::string("\xC5\xD0\xD3\xC6\x20\x00", 6)),
              DocumentKind::PostScript);
    EXPECT_EQ(sniffDocumentKind(std::string("II*\0\x08\0\0\0", 8)), DocumentKind::Tiff);
    EXPECT_EQ(sniffDocumentKind(std::string("MM\0*\0\0\0\x08", 8)), DocumentKind::Tiff);
    EXPECT_EQ(sniffDocumentKind("\x89PNG\r\n\x1A\n...."), DocumentKind::Png);
    EXPECT_EQ(sniffDocumentKind("\xFF\xD8\xFF\xE0..JFIF"), DocumentKind::Jpeg);
}

TEST(DocumentKindTest, UnknownForTextEmptyAndNearMisses) {
    EXPECT_EQ(sniffDocumentKind(""), DocumentKind::Unknown);
    EXPECT_EQ(sniffDocumentKind("Hello, please fax this."), DocumentKind::Unknown);
    EXPECT_EQ(sniffDocumentKind("\x89PNG"), DocumentKind::Unknown);
    EXPECT_EQ(sniffDocumentKind("II*"), DocumentKind::Unknown);
    EXPECT_EQ(sniffDocumentKind("PDF-1.4"), DocumentKind::Unknown);
    // The PDF header only counts in the first 1024 bytes.
    EXPECT_EQ(sniffDocumentKind(std::string(2000, ' ') + "%PDF-1.4"), DocumentKind::Unknown);
}

}  // namespace
}  // namespace faxgate::gateway
