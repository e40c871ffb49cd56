// renderText: A4 pages at both resolutions, margins, wrapping, pagination, headings, form
// feeds, limits, and survival of bad UTF-8 and scripts the font lacks.
#include <gtest/gtest.h>

#include "gateway/image/renderers.h"
#include "test_documents.h"

namespace faxgate::gateway {
namespace {

using namespace testing;

std::string numberedLines(int count) {
    std::string text;
    for (int i = 1; i <= count; ++i) text += "Line " + std::to_string(i) + " of the letter.\n";
    return text;
}

TEST(TextRendererTest, OneLineIsOneA4PageWithInkInsideTheMargins) {
    for (FaxResolution res : {FaxResolution::Fine, FaxResolution::Normal}) {
        const auto pages = renderText("Hello, world.", res, 10);
        ASSERT_EQ(pages.size(), 1u);
        EXPECT_EQ(pages[0].resolution, res);
        EXPECT_EQ(pages[0].heightPx, res == FaxResolution::Fine ? 2292 : 1146);
        EXPECT_EQ(pages[0].bits.size(), static_cast<size_t>(pages[0].heightPx) * 216);
        const auto [first, last] = inkRows(pages[0]);
        const double vdpi = verticalDpi(res);
        // Top margin 0.6 in; one line of 10 pt is under 0.2 in tall.
        EXPECT_GE(first, static_cast<int>(0.55 * vdpi));
        EXPECT_LE(last, static_cast<int>(0.85 * vdpi));
        EXPECT_EQ(countBlack(pages[0], 0, 0, static_cast<int>(0.55 * 204), pages[0].heightPx), 0);
        EXPECT_GT(countBlack(pages[0]), 200);
    }
}

TEST(TextRendererTest, NormalResolutionKeepsTheGlyphShape) {
    // Same text: normal has half the rows, so about half the ink, not squashed-to-nothing.
    const int fine = countBlack(renderText("MMMMMMMMMM", FaxResolution::Fine, 1)[0]);
    const int normal = countBlack(renderText("MMMMMMMMMM", FaxResolution::Normal, 1)[0]);
    EXPECT_NEAR(static_cast<double>(normal) / fine, 0.5, 0.1);
}

TEST(TextRendererTest, LongTextFlowsOverPagesAndRespectsTheLimit) {
    const auto two = renderText(numberedLines(100), FaxResolution::Fine, 10);
    EXPECT_EQ(two.size(), 2u);
    const auto many = renderText(numberedLines(500), FaxResolution::Fine, 10);
    EXPECT_GE(many.size(), 8u);
    EXPECT_LE(many.size(), 10u);
    EXPECT_THROW(renderText(numberedLines(500), FaxResolution::Fine, 3), ImageError);
}

TEST(TextRendererTest, LongLineIsWrappedNotCut) {
    const auto one = renderText(std::string(20, 'x'), FaxResolution::Fine, 1);
    const auto wrapped = renderText(std::string(300, 'x'), FaxResolution::Fine, 1);
    const auto words =
        renderText(std::string(100, 'x') + " " + std::string(60, 'y'), FaxResolution::Fine, 1);
    const int lineRows = inkRows(one[0]).second - inkRows(one[0]).first;
    // 300 characters need 4 lines at 87 columns: the ink goes 3 line heights further down.
    EXPECT_GT(inkRows(wrapped[0]).second, inkRows(one[0]).second + 3 * lineRows);
    // No ink in the right margin.
    EXPECT_EQ(countBlack(wrapped[0], 1728 - static_cast<int>(0.55 * 204), 0, 1728, 2292), 0);
    EXPECT_GT(inkRows(words[0]).second, inkRows(one[0]).second + lineRows);
}

TEST(TextRendererTest, FormFeedStartsANewPageAndTrailingBlankLinesAreDropped) {
    EXPECT_EQ(renderText("page one\fpage two", FaxResolution::Fine, 5).size(), 2u);
    EXPECT_EQ(renderText("only page\n\n\n\n", FaxResolution::Fine, 5).size(), 1u);
    EXPECT_EQ(renderText("only page\f\n\n", FaxResolution::Fine, 5).size(), 1u);
}

TEST(TextRendererTest, HeadingIsPrintedBoldAboveTheText) {
    const auto plain = renderText("Body", FaxResolution::Fine, 1);
    const auto headed = renderText("Body", "To: 0312345678\nFrom: alice", FaxResolution::Fine, 1);
    ASSERT_EQ(headed.size(), 1u);
    // Body moves down by the two heading lines and a blank line.
    EXPECT_GT(inkRows(headed[0]).second, inkRows(plain[0]).second + 60);
    // Bold: the same word has more ink as a heading than as body text.
    const int bodyInk = countBlack(renderText("Heading", FaxResolution::Fine, 1)[0]);
    const int boldInk = countBlack(renderText("", "Heading", FaxResolution::Fine, 1)[0]);
    EXPECT_GT(boldInk, bodyInk * 11 / 10);
}

TEST(TextRendererTest, EmptyTextGivesOneBlankPage) {
    const auto pages = renderText("", FaxResolution::Normal, 1);
    ASSERT_EQ(pages.size(), 1u);
    EXPECT_EQ(countBlack(pages[0]), 0);
}

TEST(TextRendererTest, BadUtf8ControlCharactersAndJapaneseDoNotBreakIt) {
    const std::string text =
        "caf\xC3\xA9 \xFF\xFE broken \xE3\x81 \xC0\xAF tab\there \x01\x02\x7F"
        "\n\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xF0\x9F\x98\x80\r\nend\r";
    const auto pages = renderText(text, FaxResolution::Fine, 2);
    ASSERT_EQ(pages.size(), 1u);
    EXPECT_GT(countBlack(pages[0]), 1000);
    EXPECT_THROW(renderText("x", FaxResolution::Fine, 0), ImageError);
}

}  // namespace
}  // namespace faxgate::gateway
