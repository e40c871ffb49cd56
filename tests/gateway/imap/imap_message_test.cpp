// ImapMessage: ENVELOPE, BODYSTRUCTURE and sections served from the stored bytes.
#include "gateway/imap/imap_message.h"

#include <gtest/gtest.h>

#include "tests/gateway/imap/imap_test_support.h"

namespace faxgate::gateway {
namespace {

using testing::kFaxBodyStructure;
using testing::kFaxMessage;

ImapSection sectionOf(const std::string& spec) {
    ImapValue value;
    value.text = "BODY[" + spec + "]";
    std::string error;
    auto items = parseImapFetchItems(value, error);
    EXPECT_TRUE(items) << error;
    return items ? items->front().section : ImapSection{};
}

TEST(ImapMessageTest, BodyStructureOfMultipartWithPdf) {
    ImapMessage message(kFaxMessage);
    EXPECT_EQ(message.bodyStructure(true), kFaxBodyStructure);
    EXPECT_EQ(message.bodyStructure(false),
              "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 16 1)"
              "(\"APPLICATION\" \"PDF\" (\"NAME\" \"fax.pdf\") NIL NIL \"BASE64\" 12) \"MIXED\")");
}

TEST(ImapMessageTest, Envelope) {
    ImapMessage message(kFaxMessage);
    EXPECT_EQ(
        message.envelope(),
        "(\"Mon, 1 Jan 2024 10:00:00 +0000\" \"Fax from 0312345678\""
        " ((\"Fax Gateway\" NIL \"fax\" \"gw.local\"))"
        " ((\"Fax Gateway\" NIL \"fax\" \"gw.local\"))"
        " ((\"Fax Gateway\" NIL \"fax\" \"gw.local\"))"
        " ((\"Alice Example\" NIL \"alice\" \"example.com\")) NIL NIL NIL \"<r1@gw.local>\")");
}

TEST(ImapMessageTest, Sections) {
    ImapMessage message(kFaxMessage);
    EXPECT_EQ(message.section(sectionOf("1")), "Received 1 page.");
    EXPECT_EQ(message.section(sectionOf("2")), "JVBERi0xLjQK");
    EXPECT_EQ(message.section(sectionOf("2.MIME")),
              "Content-Type: application/pdf; name=\"fax.pdf\"\r\n"
              "Content-Transfer-Encoding: base64\r\n"
              "Content-Disposition: attachment; filename=\"fax.pdf\"\r\n\r\n");
    EXPECT_EQ(message.section(sectionOf("HEADER.FIELDS (SUBJECT FROM)")),
              "From: Fax Gateway <fax@gw.local>\r\nSubject: Fax from 0312345678\r\n\r\n");
    const std::string notFields = message.section(sectionOf("HEADER.FIELDS.NOT (SUBJECT FROM)"));
    EXPECT_EQ(notFields.find("Subject:"), std::string::npos);
    EXPECT_NE(notFields.find("Message-ID: <r1@gw.local>\r\n"), std::string::npos);
    EXPECT_EQ(message.section(sectionOf("")), kFaxMessage);
    EXPECT_EQ(message.section(sectionOf("HEADER")) + message.section(sectionOf("TEXT")),
              kFaxMessage);
    EXPECT_EQ(message.section(sectionOf("3")), "");
    EXPECT_EQ(message.section(sectionOf("1.1")), "Received 1 page.");
}

TEST(ImapMessageTest, SinglePartAndNestedMessage) {
    ImapMessage single(testing::plainMessage("Hi", "Hello there"));
    EXPECT_EQ(single.section(sectionOf("1")), "Hello there\r\n");
    EXPECT_EQ(single.bodyStructure(false),
              "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 13 1)");

    const std::string inner = testing::plainMessage("Inner", "inside");
    const std::string outer =
        "Subject: outer\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain\r\n\r\nfirst\r\n"
        "--b\r\nContent-Type: message/rfc822\r\n\r\n" +
        inner + "\r\n--b--\r\n";
    ImapMessage nested(outer);
    EXPECT_EQ(nested.section(sectionOf("2.HEADER.FIELDS (SUBJECT)")), "Subject: Inner\r\n\r\n");
    EXPECT_EQ(nested.section(sectionOf("2.TEXT")), "inside\r\n");
    EXPECT_EQ(nested.section(sectionOf("2.1")), "inside\r\n");
    EXPECT_NE(nested.bodyStructure(true).find("\"MESSAGE\" \"RFC822\""), std::string::npos);
}

TEST(ImapMessageTest, QuotingAndLiterals) {
    EXPECT_EQ(imapString("a \"b\" \\c"), "\"a \\\"b\\\" \\\\c\"");
    EXPECT_EQ(imapString("caf\xc3\xa9"), "{5}\r\ncaf\xc3\xa9");
    EXPECT_EQ(imapNString(""), "NIL");
}

TEST(ImapMessageTest, MalformedInputDoesNotBreak) {
    for (const std::string& data :
         {std::string(), std::string("no header end"), std::string("\r\n\r\n"),
          std::string("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n"),
          std::string("Content-Type: multipart/mixed\r\n\r\nbody"),
          std::string("Content-Type: message/rfc822\r\n\r\n")}) {
        ImapMessage message(data);
        EXPECT_FALSE(message.bodyStructure(true).empty());
        EXPECT_FALSE(message.envelope().empty());
        message.section(sectionOf("1.2.3"));
    }
}

}  // namespace
}  // namespace faxgate::gateway
