// The store side of the admin API's versioned scopes (docs/settings.md): the per-user node
// table, the routing table and a scope's secrets are each written in one transaction with
// their audit entry and versions (an entry may version two scopes at once); a stale base
// version or a bad name writes nothing.
#include <gtest/gtest.h>

#include "gateway/store/sqlite_store.h"
#include "tests/gateway/store/store_fixture.h"

namespace faxgate::gateway {
namespace {

class SettingsScopesStoreTest : public testing::TempStoreTest {
  protected:
    void SetUp() override {
        TempStoreTest::SetUp();
        for (const char* id : {"alice", "bob"}) {
            User user;
            user.id = id;
            user.passwordHash = "x";
            store_->addUser(user);
        }
        Node node;
        node.id = "tokyo-1";
        node.url = "http://127.0.0.1:8081";
        node.secret = "some-secret";
        store_->upsertNode(node);
    }

    static AuditEntry entry(const std::string& action, const std::string& scope,
                            const std::string& document,
                            std::optional<int64_t> base = std::nullopt) {
        AuditEntry e;
        e.timeMs = 1000;
        e.adminUser = "root";
        e.clientAddress = "127.0.0.1";
        e.action = action;
        e.target = scope;
        e.changes = "{}";
        e.snapshot = SettingsSnapshot{scope, document, base};
        return e;
    }
};

TEST_F(SettingsScopesStoreTest, UserNodesAreSetAsAWholeWithBothVersions) {
    AuditEntry first =
        entry("user-nodes.set", "user-nodes", R"({"entries":{"alice":"tokyo-1"}})", 0);
    first.relatedSnapshots.push_back({"users", R"({"users":[1]})", std::nullopt});
    EXPECT_EQ(store_->setUserNodesAudited({{"alice", "tokyo-1"}}, first), 1);
    reopen();
    EXPECT_EQ(store_->findUser("alice")->defaultNode, "tokyo-1");
    EXPECT_EQ(store_->findUser("bob")->defaultNode, "");
    EXPECT_EQ(store_->latestSettings("users")->document, R"({"users":[1]})");
    EXPECT_EQ(store_->latestSettings("users")->action, "user-nodes.set");

    // The whole table: bob gets the node, alice is no longer named and loses hers.
    EXPECT_EQ(store_->setUserNodesAudited({{"bob", "tokyo-1"}},
                                          entry("user-nodes.set", "user-nodes", "{}", 1)),
              2);
    EXPECT_EQ(store_->findUser("alice")->defaultNode, "");
    EXPECT_EQ(store_->findUser("bob")->defaultNode, "tokyo-1");
}

TEST_F(SettingsScopesStoreTest, UserNodesRefuseUnknownNamesAndStaleBasesWritingNothing) {
    EXPECT_THROW(store_->setUserNodesAudited({{"carol", "tokyo-1"}},
                                             entry("user-nodes.set", "user-nodes", "{}")),
                 StoreError);
    EXPECT_THROW(store_->setUserNodesAudited({{"alice", "osaka-9"}},
                                             entry("user-nodes.set", "user-nodes", "{}")),
                 StoreError);
    EXPECT_THROW(store_->setUserNodesAudited({{"alice", "tokyo-1"}},
                                             entry("user-nodes.set", "user-nodes", "{}", 3)),
                 SettingsConflict);
    EXPECT_EQ(store_->findUser("alice")->defaultNode, "");
    EXPECT_FALSE(store_->latestSettings("user-nodes"));
    EXPECT_TRUE(store_->listAuditEntries(10).empty());
}

TEST_F(SettingsScopesStoreTest, ARelatedSnapshotThatConflictsRollsBackTheWholeChange) {
    store_->addAuditEntry(entry("x", "users", "{}"));
    AuditEntry change = entry("user-nodes.set", "user-nodes", "{}");
    change.relatedSnapshots.push_back({"users", "{}", 0});  // users is at version 1
    EXPECT_THROW(store_->setUserNodesAudited({{"alice", "tokyo-1"}}, change), SettingsConflict);
    EXPECT_EQ(store_->findUser("alice")->defaultNode, "");
    EXPECT_FALSE(store_->latestSettings("user-nodes"));
    EXPECT_EQ(store_->listAuditEntries(10).size(), 1u);
}

TEST_F(SettingsScopesStoreTest, RoutingRulesAndTheirVersionCommitTogether) {
    RoutingRules rules;
    RoutingRule rule;
    rule.id = 1;
    rule.value = "0312345001";
    rule.users = {"alice"};
    rules.rules.push_back(rule);
    EXPECT_EQ(store_->replaceRoutingRulesAudited(rules, entry("routing.set", "routing", "v1", 0)),
              1);
    RoutingRules other = rules;
    other.rules[0].users = {"bob"};
    EXPECT_THROW(
        store_->replaceRoutingRulesAudited(other, entry("routing.set", "routing", "v2", 0)),
        SettingsConflict);
    reopen();
    RoutingRules loaded = store_->loadRoutingRules();
    ASSERT_EQ(loaded.rules.size(), 1u);
    EXPECT_EQ(loaded.rules[0].users, std::vector<std::string>{"alice"});
    EXPECT_EQ(store_->latestSettings("routing")->document, "v1");

    RoutingRules twice = rules;
    twice.rules.push_back(rule);  // the same rule ID twice
    EXPECT_THROW(store_->replaceRoutingRulesAudited(twice, entry("routing.set", "routing", "v2")),
                 StoreError);
    EXPECT_EQ(store_->latestSettings("routing")->version, 1);
}

TEST_F(SettingsScopesStoreTest, SecretsAreReplacedWithTheirVersionAndSurviveReopening) {
    EXPECT_TRUE(store_->loadSettingsSecrets("gateway").empty());
    EXPECT_EQ(store_->replaceSettingsSecretsAudited(
                  "gateway", {{"relay.password", "s1"}},
                  entry("gateway.settings", "gateway", R"({"settings":{}})", 0)),
              1);
    EXPECT_THROW(
        store_->replaceSettingsSecretsAudited("gateway", {{"relay.password", "s2"}},
                                              entry("gateway.settings", "gateway", "{}", 0)),
        SettingsConflict);
    reopen();
    EXPECT_EQ(store_->loadSettingsSecrets("gateway"),
              (std::map<std::string, std::string>{{"relay.password", "s1"}}));
    EXPECT_TRUE(store_->loadSettingsSecrets("routing").empty());
    // Replaced as a whole: a registration without the secret drops it.
    store_->replaceSettingsSecretsAudited("gateway", {},
                                          entry("gateway.settings", "gateway", "{}"));
    EXPECT_TRUE(store_->loadSettingsSecrets("gateway").empty());
    EXPECT_EQ(store_->latestSettings("gateway")->version, 2);
}

}  // namespace
}  // namespace faxgate::gateway
