// Mutation fuzzing of parseMail: 3000 damaged variants of real-looking mails (bit flips,
// truncations, inserted and deleted boundaries, duplicated and random bytes), from a fixed
// seed so a failure can be reproduced. parseMail must never throw or crash, and must always
// return exactly one of a mail or an error. Run under AddressSanitizer to catch what a plain
// build does not (-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined).
#include <gtest/gtest.h>

#include <random>

#include "gateway/intake/mail_parser.h"
#include "tests/gateway/intake/test_mails.h"

namespace faxgate::gateway {
namespace {

using testing::base64Lines;
using testing::crlf;

std::vector<std::string> seedMails() {
    std::vector<std::string> seeds;
    seeds.push_back(
        crlf("From: =?UTF-8?Q?J=C3=B6rg?= <j@example.com>\n"
             "Subject: =?UTF-8?B?UmVjaG51bmc=?= =?ISO-2022-JP?B?GyRCRnxLXBsoQg==?=\n"
             "Content-Type: text/plain; charset=iso-8859-1\n"
             "Content-Transfer-Encoding: quoted-printable\n"
             "\n"
             "Gr=FC=DFe =\n"
             "und so weiter\n"));
    seeds.push_back(crlf("Content-Type: multipart/mixed; boundary=\"a;b\"\n"
                         "\n"
                         "--a;b\n"
                         "Content-Type: multipart/alternative; boundary=alt\n"
                         "\n"
                         "--alt\n"
                         "Content-Type: text/plain; charset=Shift_JIS\n"
                         "\n"
                         "\x93\xFA\x96\x7B\n"
                         "--alt\n"
                         "Content-Type: text/html\n"
                         "\n"
                         "<p>x &amp; &#x20AC; <b>y</b></p>\n"
                         "--alt--\n"
                         "--a;b\n"
                         "Content-Type: application/pdf\n"
                         "Content-Disposition: attachment;\n"
                         " filename*0*=UTF-8''%E2%82%AC;\n"
                         " filename*1=\".pdf\"\n"
                         "Content-Transfer-Encoding: base64\n"
                         "\n") +
                    base64Lines(testing::kPdfBytes) +
                    crlf("\n--a;b\n"
                         "Content-Type: message/rfc822\n"
                         "\n"
                         "Subject: inner\n"
                         "Content-Type: multipart/mixed; boundary=inner\n"
                         "\n"
                         "--inner\n"
                         "Content-Type: image/png; name=\"=?UTF-8?Q?x=C3=A4.png?=\"\n"
                         "Content-Transfer-Encoding: base64\n"
                         "\n") +
                    base64Lines(testing::kPngBytes) +
                    crlf("\n--inner--\n"
                         "--a;b\n"
                         "Content-Type: text/plain; name=notes.txt\n"
                         "\n"
                         "notes\n"
                         "--a;b--\n"));
    seeds.push_back(
        crlf("Content-Type: multipart/digest; boundary=d\n"
             "\n"
             "--d\n"
             "\n"
             "Subject: one\n"
             "\n"
             "first\n"
             "--d\n"
             "Content-Type: message/rfc822\n"
             "Content-Transfer-Encoding: base64\n"
             "\n"
             "U3ViamVjdDogdHdvDQoNCnNlY29uZA0K\n"
             "--d--\n"));
    return seeds;
}

std::string mutate(const std::string& seed, std::mt19937& random) {
    std::string mail = seed;
    auto pick = [&](size_t bound) {
        return bound == 0 ? size_t{0} : std::uniform_int_distribution<size_t>(0, bound - 1)(random);
    };
    static const std::vector<std::string> kFragments{
        "\r\n--a;b\r\n",
        "\r\n--a;b--\r\n",
        "\r\n--alt\r\n",
        "\r\n--inner\r\n",
        "\r\n--\r\n",
        "\r\nContent-Type: multipart/mixed; boundary=\"\"\r\n\r\n",
        "\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n",
        "\r\nContent-Type: message/rfc822\r\n\r\n",
        "=?UTF-8?B?",
        "=?",
        "?=",
        "*0*=",
        "%",
        "&#x",
        "<",
        "\r\n\r\n",
        "\r\n ",
        "\x1B$B",
        "\xFF",
        "=\r\n",
        "==",
        std::string(1, '\0')};
    int mutations = 1 + static_cast<int>(pick(8));
    for (int i = 0; i < mutations; ++i) {
        switch (pick(6)) {
            case 0:  // flip a bit
                if (!mail.empty()) mail[pick(mail.size())] ^= static_cast<char>(1 << pick(8));
                break;
            case 1:  // cut off the end
                mail.resize(pick(mail.size() + 1));
                break;
            case 2:  // insert a boundary, header or encoding fragment
                mail.insert(pick(mail.size() + 1), kFragments[pick(kFragments.size())]);
                break;
            case 3: {  // delete a range
                size_t start = pick(mail.size() + 1);
                mail.erase(start, pick(64));
                break;
            }
            case 4: {  // duplicate a range
                size_t start = pick(mail.size() + 1);
                mail.insert(pick(mail.size() + 1), mail.substr(start, pick(256)));
                break;
            }
            default: {  // random bytes
                size_t at = pick(mail.size() + 1);
                std::string noise(pick(16) + 1, '\0');
                for (char& c : noise) c = static_cast<char>(pick(256));
                mail.insert(at, noise);
                break;
            }
        }
    }
    return mail;
}

TEST(MailParserFuzz, MutatedMailsNeverThrow) {
    std::mt19937 random(20251124);
    std::vector<std::string> seeds = seedMails();
    // The seeds themselves are good mails: the mutations start from something valid.
    for (const std::string& seed : seeds) {
        ParseOutcome outcome = parseMail(seed, IntakeLimits{});
        ASSERT_TRUE(outcome.mail.has_value()) << outcome.error;
    }
    IntakeLimits tightLimits;
    tightLimits.maxParts = 6;
    tightLimits.maxMimeDepth = 3;
    tightLimits.maxAttachments = 2;
    tightLimits.maxHeaderBytes = 512;
    int accepted = 0;
    int refused = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string mail = mutate(seeds[static_cast<size_t>(i) % seeds.size()], random);
        const IntakeLimits& limits = i % 5 == 0 ? tightLimits : IntakeLimits{};
        ParseOutcome outcome;
        ASSERT_NO_THROW(outcome = parseMail(mail, limits)) << "mutation " << i;
        ASSERT_NE(outcome.mail.has_value(), !outcome.error.empty()) << "mutation " << i;
        if (outcome.mail) {
            ++accepted;
            for (const MailAttachment& attachment : outcome.mail->attachments) {
                ASSERT_FALSE(attachment.data.empty());
                ASSERT_LE(attachment.fileName.size(), 255u);
            }
            ASSERT_LE(outcome.mail->attachments.size(), limits.maxAttachments);
        } else {
            ++refused;
        }
    }
    // Both outcomes must occur, or the mutations are not exercising the parser.
    EXPECT_GT(accepted, 100);
    EXPECT_GT(refused, 100);
}

}  // namespace
}  // namespace faxgate::gateway
