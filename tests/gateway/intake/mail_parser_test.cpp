// Tests of parseMail with real-looking MIME mails: what is taken as body text and attachments,
// how headers and charsets are decoded, and which mails are refused with which reason.
#include "gateway/intake/mail_parser.h"

#include <gtest/gtest.h>

#include "tests/gateway/intake/test_mails.h"

namespace faxgate::gateway {
namespace {

using testing::base64Lines;
using testing::crlf;

ParsedMail parseOk(const std::string& raw, const IntakeLimits& limits = {}) {
    ParseOutcome outcome = parseMail(raw, limits);
    EXPECT_TRUE(outcome.mail.has_value()) << "refused: " << outcome.error;
    EXPECT_TRUE(outcome.error.empty());
    return outcome.mail.value_or(ParsedMail{});
}

std::string parseError(const std::string& raw, const IntakeLimits& limits = {}) {
    ParseOutcome outcome = parseMail(raw, limits);
    EXPECT_FALSE(outcome.mail.has_value());
    EXPECT_FALSE(outcome.error.empty());
    return outcome.error;
}

// A multipart/mixed mail with a text body and one base64 attachment.
std::string mailWithAttachment(const std::string& type, const std::string& disposition,
                               const std::string& bytes) {
    return crlf(
               "From: Alice <alice@example.com>\n"
               "To: 0312345678@fax.local\n"
               "Subject: Document\n"
               "MIME-Version: 1.0\n"
               "Content-Type: multipart/mixed; boundary=\"b1\"\n"
               "\n"
               "--b1\n"
               "Content-Type: text/plain; charset=us-ascii\n"
               "\n"
               "See attached.\n"
               "--b1\n"
               "Content-Type: " +
               type +
               "\n"
               "Content-Disposition: " +
               disposition +
               "\n"
               "Content-Transfer-Encoding: base64\n"
               "\n") +
           base64Lines(bytes) + crlf("\n--b1--\n");
}

TEST(MailParser, PlainTextMail) {
    ParsedMail mail =
        parseOk(crlf("From: Bob Example <bob@example.com>\n"
                     "To: 0312345678@fax.local\n"
                     "Subject: Hello fax\n"
                     "Message-ID: <abc123@example.com>\n"
                     "Date: Mon, 24 Nov 2025 10:00:00 +0100\n"
                     "\n"
                     "Line one\n"
                     "Line two\n"
                     "\n"));
    EXPECT_EQ(mail.subject, "Hello fax");
    EXPECT_EQ(mail.from, "Bob Example <bob@example.com>");
    EXPECT_EQ(mail.messageId, "<abc123@example.com>");
    EXPECT_EQ(mail.date, "Mon, 24 Nov 2025 10:00:00 +0100");
    EXPECT_EQ(mail.bodyText, "Line one\nLine two");
    EXPECT_TRUE(mail.attachments.empty());
}

TEST(MailParser, QuotedPrintableUtf8Body) {
    ParsedMail mail = parseOk(
        crlf("From: a@example.com\n"
             "Subject: qp\n"
             "MIME-Version: 1.0\n"
             "Content-Type: text/plain; charset=UTF-8\n"
             "Content-Transfer-Encoding: quoted-printable\n"
             "\n"
             "Gr=C3=BC=C3=9Fe aus M=C3=BCnchen, ein sehr langer Satz, der umgebrochen wer=\n"
             "den muss. 5 =E2=82=AC\n"));
    EXPECT_EQ(mail.bodyText,
              "Grüße aus München, ein sehr langer Satz, der umgebrochen werden muss. 5 €");
}

TEST(MailParser, Rfc2047SubjectDropsSpaceBetweenAdjacentEncodedWords) {
    ParsedMail mail =
        parseOk(crlf("From: =?ISO-8859-1?Q?J=F6rg?= Example <jx@example.com>\n"
                     "Subject: =?UTF-8?B?UmVjaG51bmc=?= =?UTF-8?Q?_f=C3=BCr_M=C3=A4rz?=\n"
                     "  und mehr\n"
                     "\n"
                     "body\n"));
    EXPECT_EQ(mail.subject, "Rechnung für März  und mehr");
    EXPECT_EQ(mail.from, "Jörg Example <jx@example.com>");
}

TEST(MailParser, Rfc2047WordsSplittingAMultiByteCharacterAreJoined) {
    // "日本" in UTF-8 is E6 97 A5 E6 9C AC; the first word ends in the middle of the second
    // character.
    ParsedMail mail =
        parseOk(crlf("Subject: =?UTF-8?Q?=E6=97=A5=E6?= =?UTF-8?Q?=9C=AC?=\n"
                     "\n"
                     "x\n"));
    EXPECT_EQ(mail.subject, "日本");
}

TEST(MailParser, Rfc2047ShiftJisAndIso2022JpSubjects) {
    EXPECT_EQ(parseOk(crlf("Subject: =?Shift_JIS?B?k/qWew==?=\n\nx\n")).subject, "日本");
    EXPECT_EQ(parseOk(crlf("Subject: =?ISO-2022-JP?B?GyRCRnxLXBsoQg==?=\n\nx\n")).subject, "日本");
}

TEST(MailParser, MalformedEncodedWordsAreKeptAsText) {
    EXPECT_EQ(parseOk(crlf("Subject: =?UTF-8?B?@@@?= and =?broken\n\nx\n")).subject,
              "=?UTF-8?B?@@@?= and =?broken");
}

TEST(MailParser, Rfc2231FileNameWithContinuationsAndUtf8) {
    std::string raw = crlf(
                          "From: a@example.com\n"
                          "Content-Type: multipart/mixed; boundary=XYZ\n"
                          "\n"
                          "--XYZ\n"
                          "Content-Type: application/pdf\n"
                          "Content-Disposition: attachment;\n"
                          " filename*0*=UTF-8''Rechnung%20f%C3%BCr%20;\n"
                          " filename*1*=M%C3%A4rz;\n"
                          " filename*2=\".pdf\"\n"
                          "Content-Transfer-Encoding: base64\n"
                          "\n") +
                      base64Lines(testing::kPdfBytes) + crlf("\n--XYZ--\n");
    ParsedMail mail = parseOk(raw);
    ASSERT_EQ(mail.attachments.size(), 1u);
    EXPECT_EQ(mail.attachments[0].fileName, "Rechnung für März.pdf");
    EXPECT_EQ(mail.attachments[0].kind, DocumentKind::Pdf);
    EXPECT_EQ(mail.attachments[0].data, testing::kPdfBytes);
}

TEST(MailParser, Rfc2231SingleValueWinsOverPlainFallback) {
    ParsedMail mail = parseOk(mailWithAttachment(
        "application/pdf", "attachment; filename=\"fallback.pdf\"; filename*=iso-8859-1'de'%E4.pdf",
        testing::kPdfBytes));
    ASSERT_EQ(mail.attachments.size(), 1u);
    EXPECT_EQ(mail.attachments[0].fileName, "ä.pdf");
}

TEST(MailParser, QuotedFileNameWithSemicolonAndContentTypeName) {
    ParsedMail mail =
        parseOk(mailWithAttachment("application/pdf; name=\"ignored.pdf\"",
                                   "attachment; filename=\"a;b.pdf\"", testing::kPdfBytes));
    ASSERT_EQ(mail.attachments.size(), 1u);
    EXPECT_EQ(mail.attachments[0].fileName, "a;b.pdf");

    // Without a disposition file name, Content-Type's name= (here RFC 2047 encoded, as
    // Outlook writes it) is used.
    mail = parseOk(mailWithAttachment("image/png; name=\"=?UTF-8?Q?Gr=C3=BC=C3=9Fe.png?=\"",
                                      "inline", testing::kPngBytes));
    ASSERT_EQ(mail.attachments.size(), 1u);
    EXPECT_EQ(mail.attachments[0].fileName, "Grüße.png");
    EXPECT_EQ(mail.attachments[0].kind, DocumentKind::Png);
}

TEST(MailParser, FileNamesLoseDirectories) {
    ParsedMail mail = parseOk(mailWithAttachment(
        "application/pdf", "attachment; filename=\"C:\\\\Users\\\\x\\\\..\\\\scan.pdf\"",
        testing::kPdfBytes));
    ASSERT_EQ(mail.attachments.size(), 1u);
    EXPECT_EQ(mail.attachments[0].fileName, "scan.pdf");
}

TEST(MailParser, MultipartMixedWithPdfTiffJpegPngAndPostScript) {
    std::string raw = crlf(
        "From: a@example.com\n"
        "Subject: four documents\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/mixed;\n"
        " boundary=\"----=_Part_0_1;2\"\n"
        "\n"
        "This is a multi-part message in MIME format.\n"
        "------=_Part_0_1;2\n"
        "Content-Type: text/plain\n"
        "\n"
        "Please fax these.\n");
    struct Document {
        std::string name, type, bytes;
        DocumentKind kind;
    };
    std::vector<Document> documents{
        {"a.pdf", "application/pdf", testing::kPdfBytes, DocumentKind::Pdf},
        {"b.tif", "image/tiff", testing::kTiffBytes, DocumentKind::Tiff},
        {"c.jpg", "image/jpeg", testing::kJpegBytes, DocumentKind::Jpeg},
        // A misleading type does not matter: the bytes decide.
        {"d.png", "application/octet-stream", testing::kPngBytes, DocumentKind::Png},
        {"e.ps", "application/postscript", testing::kPostScriptBytes, DocumentKind::PostScript},
    };
    for (const Document& document : documents) {
        raw += crlf("------=_Part_0_1;2\nContent-Type: " + document.type +
                    "\nContent-Disposition: attachment; filename=" + document.name +
                    "\nContent-Transfer-Encoding: base64\n\n") +
               base64Lines(document.bytes) + "\r\n";
    }
    raw += crlf("------=_Part_0_1;2--\nepilogue\n");
    ParsedMail mail = parseOk(raw);
    EXPECT_EQ(mail.bodyText, "Please fax these.");
    ASSERT_EQ(mail.attachments.size(), documents.size());
    for (size_t i = 0; i < documents.size(); ++i) {
        EXPECT_EQ(mail.attachments[i].fileName, documents[i].name);
        EXPECT_EQ(mail.attachments[i].contentType, documents[i].type);
        EXPECT_EQ(mail.attachments[i].kind, documents[i].kind);
        EXPECT_EQ(mail.attachments[i].data, documents[i].bytes) << documents[i].name;
    }
}

TEST(MailParser, AlternativePrefersTextPlain) {
    ParsedMail mail =
        parseOk(crlf("Content-Type: multipart/alternative; boundary=alt\n"
                     "\n"
                     "--alt\n"
                     "Content-Type: text/html; charset=utf-8\n"
                     "\n"
                     "<p>HTML version</p>\n"
                     "--alt\n"
                     "Content-Type: text/plain; charset=utf-8\n"
                     "\n"
                     "Plain version\n"
                     "--alt--\n"));
    EXPECT_EQ(mail.bodyText, "Plain version");
    EXPECT_TRUE(mail.attachments.empty());
}

TEST(MailParser, HtmlOnlyBodyBecomesText) {
    ParsedMail mail =
        parseOk(crlf("Content-Type: text/html; charset=iso-8859-1\n"
                     "\n"
                     "<html><head><style>p {color: red}</style><title>t</title></head><body>\n"
                     "<p>Dear   customer,</p><p>the price is &lt;10 &euro; &amp; "
                     "\xE4&#228;&#x20AC;.<br>Thanks</p>\n"
                     "<ul><li>one</li><li>two</li></ul><script>alert(1)</script>\n"
                     "</body></html>\n"));
    EXPECT_EQ(mail.bodyText, "Dear customer,\n\nthe price is <10 € & ää€.\nThanks\n\n- one\n- two");
}

TEST(MailParser, NestedMultipartsAreWalked) {
    std::string raw = crlf(
                          "Content-Type: multipart/mixed; boundary=outer\n"
                          "\n"
                          "--outer\n"
                          "Content-Type: multipart/alternative; boundary=inner\n"
                          "\n"
                          "--inner\n"
                          "Content-Type: text/plain\n"
                          "\n"
                          "Body text\n"
                          "--inner\n"
                          "Content-Type: multipart/related; boundary=rel\n"
                          "\n"
                          "--rel\n"
                          "Content-Type: text/html\n"
                          "\n"
                          "<p>Body text</p><img src=\"cid:logo\">\n"
                          "--rel\n"
                          "Content-Type: image/png; name=logo.png\n"
                          "Content-ID: <logo>\n"
                          "Content-Transfer-Encoding: base64\n"
                          "\n") +
                      base64Lines(testing::kPngBytes) +
                      crlf(
                          "\n--rel--\n"
                          "--inner--\n"
                          "--outer\n"
                          "Content-Type: multipart/mixed; boundary=deeper\n"
                          "\n"
                          "--deeper\n"
                          "Content-Type: application/pdf\n"
                          "Content-Transfer-Encoding: base64\n"
                          "\n") +
                      base64Lines(testing::kPdfBytes) + crlf("\n--deeper--\n--outer--\n");
    ParsedMail mail = parseOk(raw);
    EXPECT_EQ(mail.bodyText, "Body text");
    // The logo belongs to the HTML alternative, which is not the one faxed.
    ASSERT_EQ(mail.attachments.size(), 1u);
    EXPECT_EQ(mail.attachments[0].kind, DocumentKind::Pdf);
    EXPECT_EQ(mail.attachments[0].fileName, "");
}

TEST(MailParser, ForwardedMailContributesItsAttachments) {
    std::string raw = crlf(
                          "From: c@example.com\n"
                          "Subject: Fwd: invoice\n"
                          "Content-Type: multipart/mixed; boundary=fwd\n"
                          "\n"
                          "--fwd\n"
                          "Content-Type: text/plain\n"
                          "\n"
                          "See the forwarded invoice.\n"
                          "--fwd\n"
                          "Content-Type: message/rfc822\n"
                          "Content-Disposition: attachment; filename=invoice.eml\n"
                          "\n"
                          "From: shop@example.com\n"
                          "Subject: invoice\n"
                          "Content-Type: multipart/mixed; boundary=orig\n"
                          "\n"
                          "--orig\n"
                          "Content-Type: text/plain\n"
                          "\n"
                          "Your invoice is attached.\n"
                          "--orig\n"
                          "Content-Type: application/pdf; name=invoice.pdf\n"
                          "Content-Transfer-Encoding: base64\n"
                          "\n") +
                      base64Lines(testing::kPdfBytes) + crlf("\n--orig--\n\n--fwd--\n");
    ParsedMail mail = parseOk(raw);
    EXPECT_EQ(mail.subject, "Fwd: invoice");
    EXPECT_EQ(mail.bodyText, "See the forwarded invoice.");
    ASSERT_EQ(mail.attachments.size(), 1u);
    EXPECT_EQ(mail.attachments[0].fileName, "invoice.pdf");
    EXPECT_EQ(mail.attachments[0].data, testing::kPdfBytes);
}

TEST(MailParser, ForwardedTextIsTheBodyWhenTheMailHasNone) {
    ParsedMail mail =
        parseOk(crlf("Content-Type: message/rfc822\n"
                     "\n"
                     "Subject: inner\n"
                     "\n"
                     "Forwarded words\n"));
    EXPECT_EQ(mail.bodyText, "Forwarded words");
}

TEST(MailParser, CharsetsAreConvertedToUtf8) {
    struct Case {
        std::string charset, bytes, expected;
    };
    std::vector<Case> cases{
        {"ISO-8859-1",
         "Gr\xFC\xDF"
         "e",
         "Grüße"},
        {"iso-8859-15", "\xA4 5", "€ 5"},
        {"windows-1252", "\x80 \x93quoted\x94", "€ “quoted”"},
        {"Shift_JIS", "\x93\xFA\x96\x7B", "日本"},
        {"EUC-JP", "\xC6\xFC\xCB\xDC", "日本"},
        {"ISO-2022-JP", "\x1B$BF|K\\\x1B(B", "日本"},
        {"utf-8", "\xE6\x97\xA5\xE6\x9C\xAC", "日本"},
        // Unlabelled 8-bit text that is not UTF-8 is read as Windows-1252.
        {"us-ascii", "caf\xE9", "café"},
        // An unknown charset does not lose the text.
        {"x-no-such-charset", "plain", "plain"},
    };
    for (const Case& c : cases) {
        ParsedMail mail = parseOk(crlf("Content-Type: text/plain; charset=\"" + c.charset +
                                       "\"\nContent-Transfer-Encoding: 8bit\n\n") +
                                  c.bytes + "\r\n");
        EXPECT_EQ(mail.bodyText, c.expected) << c.charset;
    }
}

TEST(MailParser, InvalidBytesInDeclaredCharsetBecomeReplacementCharacters) {
    ParsedMail mail =
        parseOk(crlf("Content-Type: text/plain; charset=utf-8\n\n") + "ok \xC3( end\r\n");
    // Valid UTF-8 is kept; the invalid byte is read as Windows-1252 since the text as a whole
    // is not UTF-8.
    EXPECT_EQ(mail.bodyText, "ok Ã( end");
}

TEST(MailParser, TextAttachmentBecomesText) {
    ParsedMail mail =
        parseOk(mailWithAttachment("text/plain; charset=iso-8859-1",
                                   "attachment; filename=notes.txt", "Notizen f\xFCr heute\r\n"));
    ASSERT_EQ(mail.attachments.size(), 1u);
    EXPECT_EQ(mail.attachments[0].kind, DocumentKind::Unknown);
    EXPECT_EQ(mail.attachments[0].contentType, "text/plain");
    EXPECT_EQ(mail.attachments[0].data, "Notizen für heute\n");
}

TEST(MailParser, UnsupportedAttachmentIsRefusedNamingTheFile) {
    std::string error = parseError(mailWithAttachment(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "attachment; filename=\"report.docx\"", std::string("PK\x03\x04 zip content", 16)));
    EXPECT_EQ(error,
              "attachment 'report.docx' "
              "(application/vnd.openxmlformats-officedocument.wordprocessingml.document) is not a "
              "supported type: send PDF, TIFF, PNG, JPEG or PostScript");
}

TEST(MailParser, BadBase64IsRefused) {
    std::string raw = crlf(
        "Content-Type: multipart/mixed; boundary=b\n"
        "\n"
        "--b\n"
        "Content-Type: application/pdf\n"
        "Content-Disposition: attachment; filename=scan.pdf\n"
        "Content-Transfer-Encoding: base64\n"
        "\n"
        "JVBERi0xLjQK*&^%$#@!notbase64\n"
        "--b--\n");
    std::string error = parseError(raw);
    EXPECT_NE(error.find("scan.pdf"), std::string::npos) << error;
    EXPECT_NE(error.find("base64"), std::string::npos) << error;
}

TEST(MailParser, EmptyAttachmentIsRefused) {
    std::string error =
        parseError(mailWithAttachment("application/pdf", "attachment; filename=empty.pdf", ""));
    EXPECT_EQ(error, "attachment 'empty.pdf' is empty");
}

TEST(MailParser, UnknownTransferEncodingIsRefused) {
    std::string error = parseError(
        crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n"
             "Content-Type: application/pdf; name=x.pdf\nContent-Transfer-Encoding: x-uuencode\n\n"
             "begin 644 x.pdf\n--b--\n"));
    EXPECT_NE(error.find("x-uuencode"), std::string::npos) << error;
}

std::string nestedMail(int levels) {
    std::string raw;
    for (int i = 0; i < levels; ++i) {
        raw += "Content-Type: multipart/mixed; boundary=level" + std::to_string(i) + "\n\n--level" +
               std::to_string(i) + "\n";
    }
    raw += "Content-Type: text/plain\n\ndeep text\n";
    for (int i = levels - 1; i >= 0; --i) raw += "--level" + std::to_string(i) + "--\n";
    return crlf(raw);
}

TEST(MailParser, NestingDepthIsLimited) {
    IntakeLimits limits;
    limits.maxMimeDepth = 8;
    // 7 multiparts plus the text part: 8 levels.
    EXPECT_EQ(parseOk(nestedMail(7), limits).bodyText, "deep text");
    EXPECT_EQ(parseError(nestedMail(8), limits), "the mail is nested more than 8 levels deep");
    // Far beyond the limit: refused without recursing that deep.
    EXPECT_EQ(parseError(nestedMail(5000), limits), "the mail is nested more than 8 levels deep");
}

TEST(MailParser, ForwardedMailsCountAsNesting) {
    std::string raw;
    for (int i = 0; i < 20; ++i) raw += "Content-Type: message/rfc822\n\n";
    raw += "Subject: innermost\n\ntext\n";
    EXPECT_EQ(parseError(crlf(raw)), "the mail is nested more than 8 levels deep");
}

TEST(MailParser, PartCountIsLimited) {
    IntakeLimits limits;
    limits.maxParts = 10;
    std::string raw = "Content-Type: multipart/mixed; boundary=b\n\n";
    for (int i = 0; i < 50; ++i)
        raw += "--b\nContent-Type: text/plain\n\ntext " + std::to_string(i) + "\n";
    raw += "--b--\n";
    EXPECT_EQ(parseError(crlf(raw), limits), "the mail has more than 10 MIME parts");
}

TEST(MailParser, AttachmentCountIsLimited) {
    IntakeLimits limits;
    limits.maxAttachments = 3;
    std::string raw = crlf("Content-Type: multipart/mixed; boundary=b\n\n");
    for (int i = 0; i < 4; ++i) {
        raw += crlf("--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n") +
               base64Lines(testing::kPdfBytes) + "\r\n";
    }
    raw += crlf("--b--\n");
    EXPECT_EQ(parseError(raw, limits), "the mail has more than 3 attachments");
    limits.maxAttachments = 4;
    EXPECT_EQ(parseOk(raw, limits).attachments.size(), 4u);
}

TEST(MailParser, HeaderSizeIsLimited) {
    IntakeLimits limits;
    limits.maxHeaderBytes = 1024;
    std::string raw = "Subject: big\r\nX-Filler: " + std::string(2000, 'x') + "\r\n\r\nbody\r\n";
    EXPECT_EQ(parseError(raw, limits), "a header of the mail is larger than 1024 bytes");
    // A header with no end at all is refused just the same.
    EXPECT_EQ(parseError("X-Filler: " + std::string(5000, 'x'), limits),
              "a header of the mail is larger than 1024 bytes");
}

TEST(MailParser, NothingToFaxIsRefused) {
    EXPECT_EQ(parseError(crlf("Subject: empty\n\n   \n\n")), "the mail has nothing to fax");
    EXPECT_EQ(parseError(""), "the mail has nothing to fax");
    EXPECT_EQ(parseError(crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n"
                              "Content-Type: text/plain\n\n\n--b--\n")),
              "the mail has nothing to fax");
}

TEST(MailParser, MultipartWithoutBoundaryIsRefused) {
    EXPECT_EQ(parseError(crlf("Content-Type: multipart/mixed\n\nx\n")),
              "the mail is malformed: a multipart section has no valid boundary");
}

TEST(MailParser, LongerBoundaryWithTheSamePrefixIsNotADelimiter) {
    ParsedMail mail =
        parseOk(crlf("Content-Type: multipart/mixed; boundary=abc\n"
                     "\n"
                     "--abc\n"
                     "Content-Type: text/plain\n"
                     "\n"
                     "first\n"
                     "--abcdef is just text\n"
                     "--abc--\n"));
    EXPECT_EQ(mail.bodyText, "first\n--abcdef is just text");
}

TEST(MailParser, BareLineFeedsAndMissingClosingDelimiterAreAccepted) {
    std::string raw =
        "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
        "Content-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n" +
        base64Lines(testing::kPdfBytes);
    ParsedMail mail = parseOk(raw);
    ASSERT_EQ(mail.attachments.size(), 1u);
    EXPECT_EQ(mail.attachments[0].data, testing::kPdfBytes);
}

}  // namespace
}  // namespace faxgate::gateway
