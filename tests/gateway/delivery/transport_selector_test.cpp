// TransportSelector hands each mail to the transport its OutboxMail::transport names, and
// refuses a name nobody configured permanently, naming it.
#include "gateway/delivery/transport_selector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace faxgate::gateway {
namespace {

class RecordingTransport : public MailTransport {
  public:
    SendOutcome send(const OutboxMail& mail) override {
        sent.push_back(mail.id);
        return {true, false, {}};
    }
    std::vector<int64_t> sent;
};

OutboxMail mailBy(int64_t id, const std::string& transport) {
    OutboxMail mail;
    mail.id = id;
    mail.transport = transport;
    return mail;
}

TEST(TransportSelectorTest, EachMailGoesByTheTransportItNames) {
    RecordingTransport smtp, imap;
    TransportSelector selector;
    selector.add("smtp", smtp);
    selector.add("imap_append", imap);
    EXPECT_TRUE(selector.send(mailBy(1, "smtp")).ok);
    EXPECT_TRUE(selector.send(mailBy(2, "imap_append")).ok);
    EXPECT_TRUE(selector.send(mailBy(3, "smtp")).ok);
    EXPECT_EQ(smtp.sent, (std::vector<int64_t>{1, 3}));
    EXPECT_EQ(imap.sent, (std::vector<int64_t>{2}));
    EXPECT_TRUE(selector.has("smtp"));
}

TEST(TransportSelectorTest, ATransportThatIsNotConfiguredIsAPermanentRefusal) {
    RecordingTransport smtp;
    TransportSelector selector;
    selector.add("smtp", smtp);
    SendOutcome outcome = selector.send(mailBy(4, "imap_append"));
    EXPECT_FALSE(outcome.ok);
    EXPECT_TRUE(outcome.permanent);
    EXPECT_THAT(outcome.error, ::testing::HasSubstr("imap_append"));
    EXPECT_TRUE(smtp.sent.empty());
    EXPECT_FALSE(selector.has("imap_append"));
}

}  // namespace
}  // namespace faxgate::gateway
