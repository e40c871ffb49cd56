// Tests for parseFaxRecipient: every accepted form and every refusal.
#include "gateway/smtp/recipient.h"

#include <gtest/gtest.h>

namespace faxgate::gateway {
namespace {

std::string numberOf(std::string_view path, std::string_view domain = "fax.local") {
    ParsedRecipient parsed = parseFaxRecipient(path, domain);
    EXPECT_TRUE(parsed.recipient) << path << ": " << parsed.refusal.reason;
    return parsed.recipient ? parsed.recipient->number : "";
}

RecipientRefusal refusalOf(std::string_view path, std::string_view domain = "fax.local") {
    ParsedRecipient parsed = parseFaxRecipient(path, domain);
    EXPECT_FALSE(parsed.recipient) << path << " was accepted as " << parsed.recipient->number;
    EXPECT_FALSE(parsed.refusal.reason.empty());
    return parsed.refusal;
}

TEST(RecipientTest, AcceptsPlainNumbersWithAndWithoutBrackets) {
    EXPECT_EQ(numberOf("<0312345678@fax.local>"), "0312345678");
    EXPECT_EQ(numberOf("0312345678@fax.local"), "0312345678");
    EXPECT_EQ(numberOf("  <0312345678@fax.local>  "), "0312345678");
    EXPECT_EQ(numberOf("<+81312345678@fax.local>"), "+81312345678");
}

TEST(RecipientTest, StripsSeparators) {
    EXPECT_EQ(numberOf("<+81-3-1234-5678@fax.local>"), "+81312345678");
    EXPECT_EQ(numberOf("<03.1234.5678@fax.local>"), "0312345678");
}

TEST(RecipientTest, ComparesTheDomainCaseInsensitively) {
    EXPECT_EQ(numberOf("<0312345678@FAX.Local>"), "0312345678");
    EXPECT_EQ(numberOf("<0312345678@fax.example.com>", "Fax.Example.COM"), "0312345678");
}

TEST(RecipientTest, KeepsTheAddressAsGivenWithoutBrackets) {
    ParsedRecipient parsed = parseFaxRecipient("<+81-3-1234-5678@FAX.local>", "fax.local");
    ASSERT_TRUE(parsed.recipient);
    EXPECT_EQ(parsed.recipient->address, "+81-3-1234-5678@FAX.local");
}

TEST(RecipientTest, AcceptsRfc3192Addresses) {
    EXPECT_EQ(numberOf("<FAX=+81312345678@fax.local>"), "+81312345678");
    EXPECT_EQ(numberOf("<fax=+81-3-1234-5678@fax.local>"), "+81312345678");
    EXPECT_EQ(numberOf("<FAX=+81312345678/T33S=1234@fax.local>"), "+81312345678");
    EXPECT_EQ(numberOf("<Fax=0312345678/t33s=7@fax.local>"), "0312345678");
}

TEST(RecipientTest, AcceptsTheDigitLimits) {
    EXPECT_EQ(numberOf("<123@fax.local>"), "123");
    EXPECT_EQ(numberOf("<+12345678901234567890@fax.local>"), "+12345678901234567890");
}

TEST(RecipientTest, RefusesOtherDomainsAsRelay) {
    RecipientRefusal refusal = refusalOf("<0312345678@example.com>");
    EXPECT_EQ(refusal.kind, RecipientRefusalKind::RelayDenied);
    EXPECT_NE(refusal.reason.find("relay not permitted"), std::string::npos);
    EXPECT_EQ(refusalOf("<0312345678@fax.local.evil.com>").kind, RecipientRefusalKind::RelayDenied);
    EXPECT_EQ(refusalOf("<0312345678@sub.fax.local>").kind, RecipientRefusalKind::RelayDenied);
}

TEST(RecipientTest, RefusesBadAddresses) {
    const char* bad[] = {
        "",                                       // empty
        "<>",                                     // null path
        "<0312345678@fax.local",                  // unbalanced
        "0312345678@fax.local>",                  // unbalanced
        "<@relay.example:0312345678@fax.local>",  // source route
        "<\"0312345678\"@fax.local>",             // quoted local part
        "<0312345678>",                           // no domain
        "<0312345678@>",                          // empty domain
        "<03@12345678@fax.local>",                // two @
        "<03123ABC78@fax.local>",                 // letters
        "<john@fax.local>",                       // letters
        "<0312 345678@fax.local>",                // space
        "<03_12345678@fax.local>",                // other character
        "<03+12345678@fax.local>",                // '+' inside
        "<-0312345678@fax.local>",                // leading separator
        "<0312345678-@fax.local>",                // trailing separator
        "<03--12345678@fax.local>",               // doubled separator
        "<+-0312345678@fax.local>",               // separator after '+'
        "<12@fax.local>",                         // too short
        "<+123456789012345678901@fax.local>",     // 21 digits
        "<+@fax.local>",                          // no digits
        "<@fax.local>",                           // nothing
        "<FAX=@fax.local>",                       // RFC 3192 without number
        "<FAX=+8131234/T33S=@fax.local>",         // empty sub-address
        "<FAX=+8131234/T33S=12a@fax.local>",      // bad sub-address
        "<FAX=+8131234/POSTAL=1@fax.local>",      // unknown qualifier
        "<0312345678\x01@fax.local>",             // control character
        "<0312345678\xc3\xa9@fax.local>",         // non-ASCII
    };
    for (const char* path : bad) {
        SCOPED_TRACE(path);
        EXPECT_EQ(refusalOf(path).kind, RecipientRefusalKind::BadAddress);
    }
}

TEST(RecipientTest, ReasonsSayWhatIsWrong) {
    EXPECT_NE(refusalOf("<03ABC@fax.local>").reason.find("letters"), std::string::npos);
    EXPECT_NE(refusalOf("<12@fax.local>").reason.find("too short"), std::string::npos);
    EXPECT_NE(refusalOf("<@a:1234@fax.local>").reason.find("source route"), std::string::npos);
    EXPECT_NE(refusalOf("<\"x\"@fax.local>").reason.find("quoted"), std::string::npos);
}

TEST(RecipientTest, RefusesOverlongPaths) {
    const std::string path = "<" + std::string(300, '1') + "@fax.local>";
    EXPECT_NE(refusalOf(path).reason.find("longer"), std::string::npos);
}

}  // namespace
}  // namespace faxgate::gateway
