// The admin API's versioned scopes over real loopback HTTP (ApiServer on port 0, a temporary
// SQLite store): priority, user-nodes and routing round trips, versions that rise, 409 on a
// stale base, validation errors that name the field's path, the "users" versions every user
// change writes, the history (list, one version, restore through the scope's own path, which
// the routing of the next received fax sees), audit entries saying who, from where and what,
// and 401/403 for the new resources. The gateway's own settings: tests/gateway/.
#include <Poco/JSON/Array.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/routing/routing_table.h"
#include "tests/gateway/api/admin_api_test_support.h"

namespace faxgate::gateway {
namespace {

using Poco::JSON::Object;
using ::testing::HasSubstr;
using Answer = testing::ApiAnswer;
using testing::basicAuthorization;
using testing::jsonText;
using testing::parseJsonObject;

class SettingsScopesApiTest : public testing::ApiServerTest {
  protected:
    void SetUp() override {
        ApiServerTest::SetUp();
        addUser("root", Role::Admin);
        addUser("alice", Role::User);
        addUser("bob", Role::User);
        addNode("node-1", "http://127.0.0.1:9", "right-secret", 10);
        addNode("node-2", "http://127.0.0.1:9", "right-secret", 20);
        startApi();
    }

    // Who routing sends a fax called at `number` to, as inbound delivery decides it.
    std::vector<std::string> routedTo(const std::string& number) {
        Reception reception;
        reception.calledNumber = number;
        return route(reception, store_->loadRoutingRules()).users;
    }
};

TEST_F(SettingsScopesApiTest, PriorityVersionsRiseAndAStaleBaseIs409) {
    Answer empty = call("GET", "/api/v1/priority");
    ASSERT_EQ(empty.status, 200);
    EXPECT_EQ(empty.version(), 0);

    Answer first = call("PUT", "/api/v1/priority", R"({"version":0,"order":["node-2"]})");
    ASSERT_EQ(first.status, 200) << first.error();
    EXPECT_EQ(first.version(), 1);
    auto order = first.body->getArray("order");
    EXPECT_EQ(order->getObject(0)->getValue<std::string>("id"), "node-2");
    EXPECT_EQ(store_->findNode("node-2")->priority, 10);
    EXPECT_EQ(store_->latestSettings("priority")->document, R"({"order":["node-2","node-1"]})");

    // Edited from version 0 while version 1 exists: refused, nothing changes.
    Answer stale = call("PUT", "/api/v1/priority", R"({"version":0,"order":["node-1"]})");
    EXPECT_EQ(stale.status, 409);
    EXPECT_EQ(stale.body->getValue<int64_t>("latest_version"), 1);
    EXPECT_EQ(store_->findNode("node-2")->priority, 10);

    // The objects GET shows are accepted back, as an editor would send them.
    Answer again = call("PUT", "/api/v1/priority",
                        R"({"version":1,"order":[{"id":"node-1","priority":20},{"id":"node-2"}]})");
    ASSERT_EQ(again.status, 200) << again.error();
    EXPECT_EQ(again.version(), 2);
    EXPECT_EQ(store_->findNode("node-1")->priority, 10);

    Answer bad = call("PUT", "/api/v1/priority", R"({"order":["node-1","node-7"]})");
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.error(), "order[1]: no node 'node-7'");
    EXPECT_EQ(call("PUT", "/api/v1/priority", R"({"version":"x","order":[]})").status, 400);
}

TEST_F(SettingsScopesApiTest, AddingANodeOrMovingItVersionsThePriorityTable) {
    ASSERT_EQ(call("POST", "/api/v1/nodes",
                   R"({"id":"node-3","url":"http://127.0.0.1:10","secret":"another-secret"})")
                  .status,
              201);
    auto added = store_->latestSettings("priority");
    ASSERT_TRUE(added);
    EXPECT_EQ(added->document, R"({"order":["node-1","node-2","node-3"]})");
    EXPECT_EQ(added->action, "node.add");
    ASSERT_EQ(call("PATCH", "/api/v1/nodes/node-3", R"({"priority":5})").status, 200);
    EXPECT_EQ(store_->latestSettings("priority")->document,
              R"({"order":["node-3","node-1","node-2"]})");
    EXPECT_EQ(store_->latestSettings("priority")->version, 2);
    // A change that leaves the order alone is no new version of it.
    ASSERT_EQ(call("PATCH", "/api/v1/nodes/node-3", R"({"max_dials":4})").status, 200);
    EXPECT_EQ(store_->latestSettings("priority")->version, 2);
}

TEST_F(SettingsScopesApiTest, UserNodesRoundTripWithValidationAndAudit) {
    Answer put = call("PUT", "/api/v1/user-nodes",
                      R"({"version":0,"entries":{"alice":"node-2","bob":"node-1"}})");
    ASSERT_EQ(put.status, 200) << put.error();
    EXPECT_EQ(put.version(), 1);
    EXPECT_EQ(store_->findUser("alice")->defaultNode, "node-2");
    Answer got = call("GET", "/api/v1/user-nodes");
    EXPECT_EQ(got.version(), 1);
    EXPECT_EQ(got.body->getObject("entries")->getValue<std::string>("bob"), "node-1");

    // The whole table: bob is not named any more, so he loses his node.
    ASSERT_EQ(
        call("PUT", "/api/v1/user-nodes", R"({"version":1,"entries":{"alice":"node-1"}})").status,
        200);
    EXPECT_EQ(store_->findUser("bob")->defaultNode, "");
    EXPECT_EQ(store_->findUser("alice")->defaultNode, "node-1");
    auto audit = store_->listAuditEntries(1).front();
    EXPECT_EQ(audit.action, "user-nodes.set");
    EXPECT_EQ(audit.adminUser, "root");
    EXPECT_EQ(audit.clientAddress, "127.0.0.1");
    EXPECT_THAT(audit.changes, HasSubstr(R"("alice":"node-1")"));
    EXPECT_THAT(audit.changes, HasSubstr(R"("bob":"")"));
    // The users' own history follows the table.
    EXPECT_THAT(store_->latestSettings("users")->document, HasSubstr(R"("default_node":"node-1")"));

    EXPECT_EQ(call("PUT", "/api/v1/user-nodes", R"({"version":1,"entries":{}})").status, 409);
    Answer noUser = call("PUT", "/api/v1/user-nodes", R"({"entries":{"carol":"node-1"}})");
    EXPECT_EQ(noUser.status, 400);
    EXPECT_EQ(noUser.error(), "entries.carol: no user 'carol'");
    Answer noNode = call("PUT", "/api/v1/user-nodes", R"({"entries":{"alice":"node-9"}})");
    EXPECT_EQ(noNode.error(), "entries.alice: no node 'node-9'");
    EXPECT_EQ(store_->latestSettings("user-nodes")->version, 2);
}

TEST_F(SettingsScopesApiTest, RoutingRoundTripIsWhatTheNextReceivedFaxSees) {
    const std::string table =
        R"({"version":0,"rules":[{"field":"called","match":"exact","value":"0312345002",)"
        R"("users":["alice"],"priority":0,"notes":"sales"},)"
        R"({"field":"called","match":"prefix","value":"031234","users":["bob","alice"]}],)"
        R"("default":["root"],"blocked":[{"field":"caller","match":"prefix","value":"0900",)"
        R"("notes":"junk"}]})";
    Answer put = call("PUT", "/api/v1/routing", table);
    ASSERT_EQ(put.status, 200) << put.error();
    EXPECT_EQ(put.version(), 1);
    EXPECT_EQ(routedTo("0312345002"), std::vector<std::string>{"alice"});
    EXPECT_EQ(routedTo("0312349999"), (std::vector<std::string>{"bob", "alice"}));
    EXPECT_EQ(routedTo("0400000000"), std::vector<std::string>{"root"});

    Answer got = call("GET", "/api/v1/routing");
    EXPECT_EQ(got.version(), 1);
    auto rules = got.body->getArray("rules");
    ASSERT_EQ(rules->size(), 2u);
    EXPECT_EQ(rules->getObject(1)->getValue<std::string>("match"), "prefix");
    EXPECT_EQ(rules->getObject(0)->getValue<std::string>("notes"), "sales");
    EXPECT_EQ(got.body->getArray("blocked")->getObject(0)->getValue<std::string>("value"), "0900");

    // What GET answers goes back unchanged as the next version.
    const std::string edited = jsonText(*got.body);
    Answer same = call("PUT", "/api/v1/routing", edited);
    ASSERT_EQ(same.status, 200) << same.error();
    EXPECT_EQ(same.version(), 2);
    EXPECT_EQ(call("PUT", "/api/v1/routing", edited).status, 409);  // based on 1, now 2

    struct Bad {
        std::string body, error;
    };
    for (const Bad& bad : std::vector<Bad>{
             {R"({"rules":[{"field":"called","value":"1","users":["alice"]},)"
              R"({"field":"called","value":"2","users":["alice","bob","carol"]}]})",
              "rules[1].users[2]: no user 'carol'"},
             {R"({"rules":[{"field":"dialled","value":"1","users":["alice"]}]})",
              "rules[0].field: expected called, caller or csid, got 'dialled'"},
             {R"({"rules":[{"field":"csid","value":"","users":["alice"]}]})",
              "rules[0].value: expected 1 to 64 printable characters"},
             {R"({"rules":[{"field":"csid","value":"X","users":[]}]})",
              "rules[0].users: name at least one user"},
             {R"({"rules":[{"field":"csid","value":"X","users":["bob"],"colour":"red"}]})",
              "rules[0].colour: unknown field"},
             {R"({"default":["zed"]})", "default[0]: no user 'zed'"},
             {R"({"blocked":[{"field":"called","value":"1"}]})",
              "blocked[0].field: only caller and csid can be blocked"},
             {R"({"blocked":[{"field":"caller","match":"pattern","value":"1*"}]})",
              "blocked[0].match: blocks are exact or prefix"},
             {R"({"rule":[]})", "unknown field 'rule'"}}) {
        Answer a = call("PUT", "/api/v1/routing", bad.body);
        EXPECT_EQ(a.status, 400) << bad.body;
        EXPECT_EQ(a.error(), bad.error) << bad.body;
    }
    EXPECT_EQ(store_->latestSettings("routing")->version, 2);
    EXPECT_EQ(routedTo("0312345002"), std::vector<std::string>{"alice"});
}

TEST_F(SettingsScopesApiTest, RestoreRegistersTheOldContentAsANewVersionThatRoutesFaxes) {
    ASSERT_EQ(call("PUT", "/api/v1/routing",
                   R"({"rules":[{"field":"called","value":"0312345002","users":["alice"]}]})")
                  .status,
              200);
    ASSERT_EQ(call("PUT", "/api/v1/routing",
                   R"({"rules":[{"field":"called","value":"0312345002","users":["bob"]}]})")
                  .status,
              200);
    EXPECT_EQ(routedTo("0312345002"), std::vector<std::string>{"bob"});

    Answer restored = call("POST", "/api/v1/settings/routing/versions/1/restore");
    ASSERT_EQ(restored.status, 201) << restored.error();
    EXPECT_EQ(restored.version(), 3);
    EXPECT_EQ(routedTo("0312345002"), std::vector<std::string>{"alice"});
    EXPECT_EQ(store_->findSettingsVersion("routing", 3)->document,
              store_->findSettingsVersion("routing", 1)->document);
    auto audit = store_->listAuditEntries(1).front();
    EXPECT_EQ(audit.action, "routing.restore");
    EXPECT_THAT(audit.changes, HasSubstr(R"("restored_from":1)"));
    EXPECT_THAT(audit.changes, HasSubstr("removed"));

    Answer list = call("GET", "/api/v1/settings/routing/versions?limit=2");
    ASSERT_EQ(list.status, 200);
    auto versions = list.body->getArray("versions");
    ASSERT_EQ(versions->size(), 2u);
    EXPECT_EQ(versions->getObject(0)->getValue<int64_t>("version"), 3);
    EXPECT_EQ(versions->getObject(0)->getValue<std::string>("action"), "routing.restore");
    EXPECT_EQ(versions->getObject(0)->getValue<std::string>("admin"), "root");
    EXPECT_EQ(versions->getObject(0)->getValue<std::string>("address"), "127.0.0.1");
    EXPECT_GT(versions->getObject(0)->getValue<int64_t>("time_ms"), 0);

    Answer one = call("GET", "/api/v1/settings/routing/versions/2");
    ASSERT_EQ(one.status, 200);
    EXPECT_EQ(one.version(), 2);
    EXPECT_EQ(
        one.body->getArray("rules")->getObject(0)->getArray("users")->getElement<std::string>(0),
        "bob");
    EXPECT_EQ(call("GET", "/api/v1/settings/routing/versions/9").status, 404);
    EXPECT_EQ(call("POST", "/api/v1/settings/routing/versions/9/restore").status, 404);
    EXPECT_EQ(call("GET", "/api/v1/settings/colours/versions").status, 404);
    EXPECT_EQ(call("GET", "/api/v1/settings/node:node-9/versions").status, 404);
    EXPECT_EQ(call("GET", "/api/v1/settings/node%3Anode-1/versions").status, 200);

    // The other scopes restore through their own PUT path too.
    ASSERT_EQ(call("PUT", "/api/v1/user-nodes", R"({"entries":{"alice":"node-2"}})").status, 200);
    ASSERT_EQ(call("PUT", "/api/v1/user-nodes", R"({"entries":{}})").status, 200);
    ASSERT_EQ(call("POST", "/api/v1/settings/user-nodes/versions/1/restore").status, 201);
    EXPECT_EQ(store_->findUser("alice")->defaultNode, "node-2");
    ASSERT_EQ(call("PUT", "/api/v1/priority", R"({"order":["node-2"]})").status, 200);
    ASSERT_EQ(call("PUT", "/api/v1/priority", R"({"order":["node-1"]})").status, 200);
    Answer priority = call("POST", "/api/v1/settings/priority/versions/1/restore");
    ASSERT_EQ(priority.status, 201) << priority.error();
    EXPECT_EQ(priority.body->getArray("order")->getObject(0)->getValue<std::string>("id"),
              "node-2");
}

TEST_F(SettingsScopesApiTest, EveryUserChangeWritesAUsersVersionWithoutPasswordHashes) {
    ASSERT_EQ(call("POST", "/api/v1/users", R"({"id":"carol","password":"c-secret"})").status, 201);
    auto added = store_->latestSettings("users");
    ASSERT_TRUE(added);
    EXPECT_EQ(added->version, 1);
    EXPECT_EQ(added->action, "user.add");
    EXPECT_THAT(added->document, HasSubstr(R"("id":"carol")"));
    EXPECT_THAT(added->document, HasSubstr(R"("id":"alice")"));
    EXPECT_EQ(added->document.find("password"), std::string::npos);
    EXPECT_EQ(added->document.find(store_->findUser("carol")->passwordHash), std::string::npos);
    EXPECT_FALSE(store_->latestSettings("user-nodes"));  // carol has no node

    ASSERT_EQ(call("PATCH", "/api/v1/users/carol", R"({"password":"n3w"})").status, 200);
    EXPECT_EQ(store_->latestSettings("users")->version, 2);
    ASSERT_EQ(call("PATCH", "/api/v1/users/carol", R"({"default_node":"node-1"})").status, 200);
    EXPECT_EQ(store_->latestSettings("users")->version, 3);
    auto userNodes = store_->latestSettings("user-nodes");
    ASSERT_TRUE(userNodes);
    EXPECT_EQ(userNodes->document, R"({"entries":{"carol":"node-1"}})");
    EXPECT_EQ(call("GET", "/api/v1/user-nodes").version(), 1);

    Answer history = call("GET", "/api/v1/settings/users/versions/3");
    ASSERT_EQ(history.status, 200);
    EXPECT_EQ(history.body->getArray("users")->size(), 4u);
    Answer restore = call("POST", "/api/v1/settings/users/versions/1/restore");
    EXPECT_EQ(restore.status, 409);
    EXPECT_THAT(restore.error(), HasSubstr("PATCH /api/v1/users"));
}

TEST_F(SettingsScopesApiTest, TheNewResourcesAreForAdministratorsOnly) {
    for (const std::string& path :
         {std::string("/api/v1/routing"), std::string("/api/v1/user-nodes"),
          std::string("/api/v1/gateway-settings"),
          std::string("/api/v1/settings/routing/versions")}) {
        EXPECT_EQ(call("GET", path, "", basicAuthorization("alice", "alice-pw")).status, 403)
            << path;
        EXPECT_EQ(call("GET", path, "", "").status, 401) << path;
    }
    EXPECT_EQ(
        call("PUT", "/api/v1/routing", R"({"rules":[]})", basicAuthorization("alice", "alice-pw"))
            .status,
        403);
    EXPECT_EQ(call("POST", "/api/v1/settings/routing/versions/1/restore", "",
                   basicAuthorization("alice", "alice-pw"))
                  .status,
              403);
    EXPECT_FALSE(store_->latestSettings("routing"));
    // Without the running gateway's settings (a bare ApiServer), that resource is unavailable.
    EXPECT_EQ(call("GET", "/api/v1/gateway-settings").status, 503);
}

}  // namespace
}  // namespace faxgate::gateway
