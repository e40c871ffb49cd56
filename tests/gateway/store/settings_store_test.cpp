// Tests for the versioned settings in the SQLite store (docs/settings.md): audited changes
// that carry a snapshot create versions 1, 2, ... per scope, in the same transaction as the
// change; a stale base version is refused and writes nothing; the nodes' reports, the
// previous node secret and the outbox transport survive reopening.
#include <gtest/gtest.h>

#include "gateway/store/sqlite_store.h"
#include "tests/gateway/store/store_fixture.h"

namespace faxgate::gateway {
namespace {

class SettingsStoreTest : public testing::TempStoreTest {
  protected:
    static AuditEntry change(const std::string& scope, const std::string& document,
                             std::optional<int64_t> base = std::nullopt, int64_t timeMs = 1000) {
        AuditEntry entry;
        entry.timeMs = timeMs;
        entry.adminUser = "root";
        entry.clientAddress = "127.0.0.1";
        entry.action = "settings.set";
        entry.target = scope;
        entry.changes = R"({"what":"test"})";
        entry.snapshot = SettingsSnapshot{scope, document, base};
        return entry;
    }
    static Node node(const std::string& id) {
        Node n;
        n.id = id;
        n.url = "http://127.0.0.1:8081";
        n.secret = "first-secret";
        return n;
    }
};

TEST_F(SettingsStoreTest, VersionsCountPerScopeAndKeepWhoWhenWhere) {
    EXPECT_FALSE(store_->latestSettings("routing"));
    EXPECT_EQ(store_->addAuditEntry(change("routing", R"({"rules":[]})", 0, 1000)), 1);
    EXPECT_EQ(store_->addAuditEntry(change("routing", R"({"rules":[1]})", 1, 2000)), 2);
    EXPECT_EQ(store_->addAuditEntry(change("gateway", R"({"a":1})")), 1);
    reopen();
    auto latest = store_->latestSettings("routing");
    ASSERT_TRUE(latest);
    EXPECT_EQ(latest->version, 2);
    EXPECT_EQ(latest->document, R"({"rules":[1]})");
    EXPECT_EQ(latest->timeMs, 2000);
    EXPECT_EQ(latest->adminUser, "root");
    EXPECT_EQ(latest->clientAddress, "127.0.0.1");
    EXPECT_EQ(latest->action, "settings.set");
    auto first = store_->findSettingsVersion("routing", 1);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->document, R"({"rules":[]})");
    EXPECT_FALSE(store_->findSettingsVersion("routing", 3));
    auto all = store_->listSettingsVersions("routing", 10);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].version, 2);  // newest first
    EXPECT_EQ(all[1].version, 1);
    EXPECT_EQ(store_->listSettingsVersions("routing", 1).size(), 1u);
    EXPECT_EQ(store_->listAuditEntries(10).size(), 3u);
}

TEST_F(SettingsStoreTest, StaleBaseVersionIsRefusedAndWritesNothing) {
    store_->addAuditEntry(change("priority", R"(["a"])", 0));
    store_->addAuditEntry(change("priority", R"(["b"])", 1));
    try {
        store_->addAuditEntry(change("priority", R"(["c"])", 1));
        FAIL() << "a change based on version 1 must be refused at version 2";
    } catch (const SettingsConflict& e) {
        EXPECT_EQ(e.latestVersion(), 2);
    }
    EXPECT_EQ(store_->latestSettings("priority")->document, R"(["b"])");
    EXPECT_EQ(store_->listAuditEntries(10).size(), 2u);  // no entry for the refused change
}

TEST_F(SettingsStoreTest, NodeChangeAndItsVersionCommitTogether) {
    AuditEntry add = change("node:n1", R"({"node_id":"n1"})", 0);
    add.action = "node.add";
    EXPECT_EQ(store_->addNodeAudited(node("n1"), add), 1);
    Node changed = node("n1");
    changed.secret = "second-secret";
    changed.previousSecret = "first-secret";
    // A stale base version refuses the node change too: the row keeps its old secret.
    EXPECT_THROW(store_->updateNodeAudited(changed, change("node:n1", "{}", 0)), SettingsConflict);
    EXPECT_EQ(store_->findNode("n1")->secret, "first-secret");
    EXPECT_EQ(store_->updateNodeAudited(changed, change("node:n1", R"({"v":2})", 1)), 2);
    reopen();
    EXPECT_EQ(store_->findNode("n1")->secret, "second-secret");
    EXPECT_EQ(store_->findNode("n1")->previousSecret, "first-secret");
    // Without a snapshot an audited change creates no version.
    AuditEntry plain = change("", "");
    plain.snapshot.reset();
    EXPECT_EQ(store_->updateNodeAudited(changed, plain), 0);
    EXPECT_EQ(store_->latestSettings("node:n1")->version, 2);
}

TEST_F(SettingsStoreTest, NodeSettingsStatusIsReplacedAndKept) {
    EXPECT_FALSE(store_->findNodeSettingsStatus("n1"));
    store_->recordNodeSettingsStatus({"n1", 1, 5000, "", 0});
    store_->recordNodeSettingsStatus({"n1", 1, 5000, "lines[0].driver: unknown", 2});
    reopen();
    auto status = store_->findNodeSettingsStatus("n1");
    ASSERT_TRUE(status);
    EXPECT_EQ(status->appliedVersion, 1);
    EXPECT_EQ(status->appliedMs, 5000);
    EXPECT_EQ(status->error, "lines[0].driver: unknown");
    EXPECT_EQ(status->errorVersion, 2);
}

TEST_F(SettingsStoreTest, OutboxKeepsTheTransport) {
    OutboxMail mail;
    mail.from = "fax@example.org";
    mail.to = {"alice@example.org"};
    mail.data = "Subject: x\r\n\r\nbody\r\n";
    mail.transport = "imap_append";
    store_->enqueueMail(mail);
    mail.transport = "smtp";
    store_->enqueueMail(mail);
    mail.transport = "carrier-pigeon";
    EXPECT_THROW(store_->enqueueMail(mail), StoreError);
    reopen();
    auto due = store_->dueMails(0, 10);
    ASSERT_EQ(due.size(), 2u);
    EXPECT_EQ(due[0].transport, "imap_append");
    EXPECT_EQ(due[1].transport, "smtp");
}

}  // namespace
}  // namespace faxgate::gateway
