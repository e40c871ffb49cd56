// ReplaceableTransport: after replace() the next send goes to the new transport, while a send
// already in progress finishes with the transport it started with.
#include "gateway/delivery/replaceable_transport.h"

#include <gtest/gtest.h>

#include <future>
#include <stdexcept>
#include <thread>

namespace faxgate::gateway {
namespace {

class NamedTransport : public MailTransport {
  public:
    explicit NamedTransport(std::string name) : name_(std::move(name)) {}
    SendOutcome send(const OutboxMail& mail) override {
        sent.push_back(mail.id);
        return {false, false, name_};
    }
    std::vector<int64_t> sent;

  private:
    std::string name_;
};

// Blocks in send() until released, so a test can replace it mid-send.
class BlockingTransport : public MailTransport {
  public:
    SendOutcome send(const OutboxMail&) override {
        entered.set_value();
        release.get_future().wait();
        return {true, false, {}};
    }
    std::promise<void> entered, release;
};

OutboxMail mail(int64_t id) {
    OutboxMail m;
    m.id = id;
    return m;
}

TEST(ReplaceableTransportTest, TheNextSendUsesTheReplacement) {
    auto first = std::make_shared<NamedTransport>("first");
    auto second = std::make_shared<NamedTransport>("second");
    ReplaceableTransport transport(first);
    EXPECT_EQ(transport.send(mail(1)).error, "first");
    transport.replace(second);
    EXPECT_EQ(transport.send(mail(2)).error, "second");
    EXPECT_EQ(first->sent, (std::vector<int64_t>{1}));
    EXPECT_EQ(second->sent, (std::vector<int64_t>{2}));
    EXPECT_THROW(transport.replace(nullptr), std::invalid_argument);
    EXPECT_EQ(transport.send(mail(3)).error, "second");  // a refused replacement changes nothing
}

TEST(ReplaceableTransportTest, ASendInProgressFinishesWithItsTransport) {
    auto blocking = std::make_shared<BlockingTransport>();
    auto next = std::make_shared<NamedTransport>("next");
    ReplaceableTransport transport(blocking);
    std::future<SendOutcome> inProgress =
        std::async(std::launch::async, [&] { return transport.send(mail(1)); });
    blocking->entered.get_future().wait();
    std::weak_ptr<BlockingTransport> watch = blocking;
    transport.replace(next);
    blocking.reset();
    EXPECT_FALSE(watch.expired()) << "the running send must keep its transport alive";
    EXPECT_EQ(transport.send(mail(2)).error, "next");
    watch.lock()->release.set_value();
    EXPECT_TRUE(inProgress.get().ok);
    EXPECT_TRUE(watch.expired());
    EXPECT_EQ(next->sent, (std::vector<int64_t>{2}));
}

}  // namespace
}  // namespace faxgate::gateway
