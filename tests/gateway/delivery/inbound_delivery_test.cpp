// Delivery of received faxes on a real SQLite store: routing to mailboxes, outbox copies for
// users with an external address, per-user formats, idempotency, blocks and the admins rule.
#include "gateway/delivery/inbound_delivery.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "gateway/store/sqlite_store.h"
#include "inbound_test_support.h"

namespace faxgate::gateway {
namespace {

using testing::attachmentOf;
using testing::headerOf;
using testing::reception;
using testing::smallFaxTiff;

class InboundDeliveryTest : public ::testing::Test {
  protected:
    void SetUp() override {
        path_ = std::filesystem::temp_directory_path() /
                ("inbound-delivery-" + std::to_string(::getpid()) + ".db");
        removeFiles();
        store_ = openSqliteStore(path_.string());
        addUser("alice", Role::User, "tiff", "");
        addUser("bob", Role::User, "pdf", "bob@example.org");
        addUser("root", Role::Admin, "both", "");
        addUser("ops", Role::Admin, "pdf", "");
        InboundDeliveryOptions options;
        options.mail.templatesDir = std::string(FAXGATE_SOURCE_DIR) + "/templates";
        options.mail.hostname = "fax.example";
        delivery_ = std::make_unique<InboundDelivery>(*store_, nullptr, options,
                                                      [] { return int64_t{1732512500000}; });
    }
    void TearDown() override {
        delivery_.reset();
        store_.reset();
        removeFiles();
    }
    void removeFiles() {
        for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
    }
    void addUser(const std::string& id, Role role, const std::string& format,
                 const std::string& email) {
        User user;
        user.id = id;
        user.passwordHash = "x";
        user.role = role;
        user.attachmentFormat = format;
        user.email = email;
        store_->addUser(user);
    }
    void routeCalledTo(const std::string& number, std::vector<std::string> users) {
        RoutingRules rules = store_->loadRoutingRules();
        RoutingRule rule;
        rule.field = RouteField::Called;
        rule.match = RouteMatch::Exact;
        rule.value = number;
        rule.users = std::move(users);
        rules.rules.push_back(rule);
        store_->replaceRoutingRules(rules);
    }

    std::filesystem::path path_;
    std::unique_ptr<Store> store_;
    std::unique_ptr<InboundDelivery> delivery_;
};

TEST_F(InboundDeliveryTest, RoutedUsersGetTheFaxInTheirInboxAndExternalCopiesAreQueued) {
    routeCalledTo("0312345001", {"alice", "bob"});
    const std::string tiff = smallFaxTiff(3);
    InboundOutcome outcome = delivery_->deliver(reception("in-1"), tiff);
    EXPECT_FALSE(outcome.duplicate);
    EXPECT_EQ(outcome.deliveredTo, (std::vector<std::string>{"alice", "bob"}));
    EXPECT_EQ(outcome.routedTo, "alice,bob");

    auto alice = store_->listMailbox("alice", "INBOX");
    ASSERT_EQ(alice.size(), 1u);
    const std::string name = InboundMailComposer::attachmentBaseName(reception("in-1"));
    EXPECT_EQ(attachmentOf(alice[0].data, name + ".tif"), tiff);
    EXPECT_EQ(attachmentOf(alice[0].data, name + ".pdf"), "");
    auto bob = store_->listMailbox("bob", "INBOX");
    ASSERT_EQ(bob.size(), 1u);
    EXPECT_EQ(attachmentOf(bob[0].data, name + ".pdf").substr(0, 5), "%PDF-");
    EXPECT_TRUE(store_->listMailbox("root", "INBOX").empty());

    auto mails = store_->dueMails(1732512500000, 10);
    ASSERT_EQ(mails.size(), 1u);
    EXPECT_EQ(mails[0].to, std::vector<std::string>{"bob@example.org"});
    EXPECT_EQ(mails[0].data, bob[0].data);
    EXPECT_EQ(mails[0].transport, "smtp");
    EXPECT_EQ(mails[0].from, "faxgate@fax.local");

    auto record = store_->findRecord("in-1");
    ASSERT_TRUE(record);
    EXPECT_EQ(record->routedTo, "alice,bob");
    EXPECT_EQ(record->calledNumber, "0312345001");
    EXPECT_EQ(record->callerNumber, "0398765432");
    EXPECT_EQ(record->direction, "receive");
}

TEST_F(InboundDeliveryTest, ARepeatedRecordIsAnsweredButNotDeliveredAgain) {
    routeCalledTo("0312345001", {"bob"});
    const std::string tiff = smallFaxTiff(1);
    delivery_->deliver(reception("in-2", 1), tiff);
    InboundOutcome again = delivery_->deliver(reception("in-2", 1), tiff);
    EXPECT_TRUE(again.duplicate);
    EXPECT_EQ(again.deliveredTo, std::vector<std::string>{"bob"});
    EXPECT_EQ(store_->listMailbox("bob", "INBOX").size(), 1u);
    EXPECT_EQ(store_->dueMails(1732512500000, 10).size(), 1u);
}

TEST_F(InboundDeliveryTest, BlockedCallerIsRecordedButDeliveredToNobody) {
    RoutingRules rules;
    rules.defaultUsers = {"alice"};
    BlockEntry block;
    block.field = RouteField::Caller;
    block.match = RouteMatch::Exact;
    block.value = "0398765432";
    rules.blocked = {block};
    store_->replaceRoutingRules(rules);
    InboundOutcome outcome = delivery_->deliver(reception("in-3"), smallFaxTiff(1));
    EXPECT_TRUE(outcome.deliveredTo.empty());
    EXPECT_EQ(outcome.routedTo, "blocked");
    EXPECT_TRUE(store_->listMailbox("alice", "INBOX").empty());
    ASSERT_TRUE(store_->findRecord("in-3"));
    EXPECT_EQ(store_->findRecord("in-3")->routedTo, "blocked");
}

TEST_F(InboundDeliveryTest, NoRouteGoesToTheAdministrators) {
    InboundOutcome outcome = delivery_->deliver(reception("in-4"), smallFaxTiff(2));
    EXPECT_EQ(outcome.deliveredTo, (std::vector<std::string>{"ops", "root"}));
    EXPECT_EQ(store_->listMailbox("root", "INBOX").size(), 1u);
    EXPECT_EQ(store_->listMailbox("ops", "INBOX").size(), 1u);
    EXPECT_TRUE(store_->listMailbox("alice", "INBOX").empty());
}

TEST_F(InboundDeliveryTest, RuleNamingOnlyVanishedUsersFallsBackToAdministrators) {
    routeCalledTo("0312345001", {"ghost"});
    InboundOutcome outcome = delivery_->deliver(reception("in-5"), smallFaxTiff(1));
    EXPECT_EQ(outcome.deliveredTo, (std::vector<std::string>{"ops", "root"}));
}

TEST_F(InboundDeliveryTest, FailedReceptionIsRecordedOnly) {
    auto record = reception("in-6", 0);
    record.result = "failed";
    InboundOutcome outcome = delivery_->deliver(record, "");
    EXPECT_TRUE(outcome.deliveredTo.empty());
    EXPECT_TRUE(store_->listMailbox("root", "INBOX").empty());
    ASSERT_TRUE(store_->findRecord("in-6"));
    EXPECT_EQ(store_->findRecord("in-6")->result, "failed");
}

TEST_F(InboundDeliveryTest, ASendRecordIsRefused) {
    auto record = reception("in-7");
    record.direction = "send";
    EXPECT_THROW(delivery_->deliver(record, smallFaxTiff(1)), std::invalid_argument);
    EXPECT_FALSE(store_->findRecord("in-7"));
}

TEST_F(InboundDeliveryTest, RoutingTableRoundTripsThroughTheStore) {
    RoutingRules rules;
    RoutingRule rule;
    rule.field = RouteField::Csid;
    rule.match = RouteMatch::Pattern;
    rule.value = "+81*";
    rule.users = {"alice", "bob"};
    rule.priority = 3;
    rule.notes = "Japan";
    rules.rules = {rule};
    rules.defaultUsers = {"bob", "alice"};
    BlockEntry block;
    block.field = RouteField::Csid;
    block.match = RouteMatch::Prefix;
    block.value = "SPAM";
    rules.blocked = {block};
    store_->replaceRoutingRules(rules);
    RoutingRules loaded = store_->loadRoutingRules();
    ASSERT_EQ(loaded.rules.size(), 1u);
    EXPECT_GT(loaded.rules[0].id, 0);
    EXPECT_EQ(loaded.rules[0].field, RouteField::Csid);
    EXPECT_EQ(loaded.rules[0].match, RouteMatch::Pattern);
    EXPECT_EQ(loaded.rules[0].users, (std::vector<std::string>{"alice", "bob"}));
    EXPECT_EQ(loaded.rules[0].notes, "Japan");
    EXPECT_EQ(loaded.defaultUsers, (std::vector<std::string>{"bob", "alice"}));
    ASSERT_EQ(loaded.blocked.size(), 1u);
    EXPECT_EQ(loaded.blocked[0].value, "SPAM");
    // Replacing keeps a rule's ID.
    store_->replaceRoutingRules(loaded);
    EXPECT_EQ(store_->loadRoutingRules().rules[0].id, loaded.rules[0].id);
    // Invalid tables are refused whole.
    RoutingRules bad = loaded;
    bad.rules[0].users.clear();
    EXPECT_THROW(store_->replaceRoutingRules(bad), StoreError);
    bad = loaded;
    bad.blocked[0].field = RouteField::Called;
    EXPECT_THROW(store_->replaceRoutingRules(bad), StoreError);
    EXPECT_EQ(store_->loadRoutingRules().rules.size(), 1u);
}

TEST_F(InboundDeliveryTest, AttachmentFormatIsStoredAndValidated) {
    EXPECT_EQ(store_->findUser("alice")->attachmentFormat, "tiff");
    EXPECT_EQ(store_->findUser("root")->attachmentFormat, "both");
    User user = *store_->findUser("alice");
    user.attachmentFormat = "jpeg";
    EXPECT_THROW(store_->updateUser(user), StoreError);
}

TEST_F(InboundDeliveryTest, ExternalCopiesTakeTheConfiguredTransport) {
    routeCalledTo("0312345001", {"bob"});
    InboundDeliveryOptions options;
    options.mail.templatesDir = std::string(FAXGATE_SOURCE_DIR) + "/templates";
    options.externalTransport = "imap_append";
    InboundDelivery byImap(*store_, nullptr, options, [] { return int64_t{1732512500000}; });
    byImap.deliver(reception("in-imap"), smallFaxTiff(1));
    auto mails = store_->dueMails(1732512500000, 10);
    ASSERT_EQ(mails.size(), 1u);
    EXPECT_EQ(mails[0].transport, "imap_append");
    EXPECT_EQ(mails[0].to, std::vector<std::string>{"bob@example.org"});
    EXPECT_EQ(mails[0].from, "bob") << "the APPEND's login may need the faxgate user ID";

    // Without a transport (no relay, no IMAP server configured) only the mailbox gets it.
    options.externalTransport.clear();
    InboundDelivery mailboxOnly(*store_, nullptr, options, [] { return int64_t{1732512500000}; });
    mailboxOnly.deliver(reception("in-none"), smallFaxTiff(1));
    EXPECT_EQ(store_->dueMails(1732512500000, 10).size(), 1u);
    EXPECT_EQ(store_->listMailbox("bob", "INBOX").size(), 2u);
}

}  // namespace
}  // namespace faxgate::gateway
