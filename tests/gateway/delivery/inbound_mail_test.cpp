// Composition of received-fax mails: headers, CRLF, the text from templates/inbound-fax.txt,
// and attachments that decode back to the exact TIFF / a PDF pdfinfo accepts.
#include "gateway/delivery/inbound_mail.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "gateway/image/tiff_to_pdf.h"
#include "inbound_test_support.h"

namespace faxgate::gateway {
namespace {

using testing::attachmentOf;
using testing::headerOf;
using testing::reception;
using testing::smallFaxTiff;

InboundMailOptions options() {
    InboundMailOptions o;
    o.templatesDir = std::string(FAXGATE_SOURCE_DIR) + "/templates";
    o.fromAddress = "faxgate@fax.example";
    o.hostname = "fax.example";
    return o;
}

User user(const std::string& id, const std::string& format, const std::string& email = "") {
    User u;
    u.id = id;
    u.attachmentFormat = format;
    u.email = email;
    return u;
}

bool onlyCrlf(const std::string& text) {
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) return false;
        if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) return false;
    }
    return true;
}

// Page count according to pdfinfo, or -1 if pdfinfo refuses the file.
int pdfinfoPages(const std::string& pdf) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("inbound-mail-" + std::to_string(::getpid()) + ".pdf");
    std::ofstream(path, std::ios::binary) << pdf;
    FILE* pipe = ::popen(("pdfinfo " + path.string() + " 2>/dev/null").c_str(), "r");
    std::string output;
    char buffer[256];
    while (pipe && std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
    const int status = pipe ? ::pclose(pipe) : -1;
    std::filesystem::remove(path);
    if (status != 0) return -1;
    const size_t at = output.find("Pages:");
    return at == std::string::npos ? -1 : std::stoi(output.substr(at + 6));
}

TEST(InboundMailTest, SubjectNamesCsidCallerAndPages) {
    auto record = reception("r1");
    EXPECT_EQ(InboundMailComposer::subjectFor(record),
              "Fax from +81 3 9876 5432 (0398765432), 3 pages");
    record.pages = 1;
    record.result = "partial";
    EXPECT_EQ(InboundMailComposer::subjectFor(record),
              "Fax from +81 3 9876 5432 (0398765432), 1 page (incomplete)");
    record.remoteCsid.clear();
    record.callerNumber.clear();
    record.number.clear();
    record.result = "ok";
    EXPECT_EQ(InboundMailComposer::subjectFor(record), "Fax from an unknown sender, 1 page");
    // A CSID cannot inject header lines.
    record.remoteCsid = "EVIL\r\nBcc: x@y";
    EXPECT_EQ(InboundMailComposer::subjectFor(record).find('\n'), std::string::npos);
}

TEST(InboundMailTest, TiffUserGetsTheExactBytesAndCrlfThroughout) {
    InboundMailComposer composer(options());
    const std::string tiff = smallFaxTiff(2);
    auto record = reception("r2", 2);
    const std::string mail =
        composer.compose(record, user("alice", "tiff"), {tiff, ""}, 1732512500000);
    EXPECT_TRUE(onlyCrlf(mail));
    EXPECT_EQ(headerOf(mail, "Subject"), "Fax from +81 3 9876 5432 (0398765432), 2 pages");
    EXPECT_EQ(headerOf(mail, "To"), "alice@fax.example");
    EXPECT_EQ(headerOf(mail, "From"), "Fax gateway <faxgate@fax.example>");
    EXPECT_EQ(headerOf(mail, "X-Faxgate-Record"), "r2");
    EXPECT_NE(headerOf(mail, "Message-ID").find("@fax.example>"), std::string::npos);
    EXPECT_NE(headerOf(mail, "Content-Type").find("multipart/mixed"), std::string::npos);
    const std::string name = "fax-20241125-052545-0398765432";
    EXPECT_EQ(InboundMailComposer::attachmentBaseName(record), name);
    EXPECT_NE(mail.find("Content-Type: image/tiff; name=\"" + name + ".tif\""), std::string::npos);
    EXPECT_EQ(attachmentOf(mail, name + ".tif"), tiff);
    EXPECT_EQ(mail.find("application/pdf"), std::string::npos);
    // The body describes the record.
    EXPECT_NE(mail.find("Called:      0312345001"), std::string::npos);
    EXPECT_NE(mail.find("14400 bit/s"), std::string::npos);
    EXPECT_NE(mail.find("received completely"), std::string::npos);
    EXPECT_NE(mail.find("1 min 1 s"), std::string::npos);
}

TEST(InboundMailTest, PdfUserGetsAPdfWithTheRightPageCount) {
    InboundMailComposer composer(options());
    const std::string tiff = smallFaxTiff(3);
    const std::string pdf = wrapFaxTiffAsPdf(tiff);
    auto record = reception("r3", 3);
    const std::string mail =
        composer.compose(record, user("bob", "pdf", "bob@example.org"), {tiff, pdf}, 1732512500000);
    EXPECT_TRUE(onlyCrlf(mail));
    EXPECT_EQ(headerOf(mail, "To"), "bob@example.org");
    const std::string name = InboundMailComposer::attachmentBaseName(record);
    const std::string attached = attachmentOf(mail, name + ".pdf");
    EXPECT_EQ(attached, pdf);
    EXPECT_EQ(pdfinfoPages(attached), 3);
    EXPECT_EQ(attachmentOf(mail, name + ".tif"), "");
}

TEST(InboundMailTest, BothMeansBothAttachments) {
    InboundMailComposer composer(options());
    const std::string tiff = smallFaxTiff(1);
    const std::string pdf = wrapFaxTiffAsPdf(tiff);
    auto record = reception("r4", 1);
    const std::string mail = composer.compose(record, user("carol", "both"), {tiff, pdf}, 0);
    const std::string name = InboundMailComposer::attachmentBaseName(record);
    EXPECT_EQ(attachmentOf(mail, name + ".pdf"), pdf);
    EXPECT_EQ(attachmentOf(mail, name + ".tif"), tiff);
}

TEST(InboundMailTest, PdfUserGetsTheTiffWhenThereIsNoPdf) {
    InboundMailComposer composer(options());
    const std::string tiff = smallFaxTiff(1);
    auto record = reception("r5", 1);
    const std::string mail = composer.compose(record, user("dave", "pdf"), {tiff, ""}, 0);
    EXPECT_EQ(attachmentOf(mail, InboundMailComposer::attachmentBaseName(record) + ".tif"), tiff);
    EXPECT_NE(mail.find("could not be converted to PDF"), std::string::npos);
}

TEST(InboundMailTest, MissingTemplateDirectoryFailsAtConstruction) {
    InboundMailOptions o = options();
    o.templatesDir = "/nonexistent";
    EXPECT_THROW(InboundMailComposer{o}, std::exception);
    o = options();
    o.fromAddress = "not an address";
    EXPECT_THROW(InboundMailComposer{o}, std::invalid_argument);
}

}  // namespace
}  // namespace faxgate::gateway
