// The admin API's node settings over real loopback HTTP (ApiServer on port 0, a temporary
// SQLite store, a fake node): GET merges the live node fields, PUT validates with field
// paths, versions and refuses a stale base (409), writes the nodes-table fields and the
// audit entry, pushes to the node and reports what came of it; restore registers an old
// version again; GET /api/v1/nodes shows drift; hello and heartbeat carry the settings
// fields of the node protocol.
#include <Poco/JSON/Array.h>
#include <gtest/gtest.h>

#include "tests/gateway/api/admin_api_test_support.h"
#include "tests/gateway/nodes/fake_node.h"

namespace faxgate::gateway {
namespace {

using Poco::JSON::Object;
using Answer = testing::ApiAnswer;
using testing::basicAuthorization;
using testing::jsonText;
using testing::parseJsonObject;

const char* kNodeDocument =
    R"({"version":0,"node_id":"node-1","secret_set":true,"time_zone":"UTC",)"
    R"("lines":[{"id":"sim-1","driver":"sim","number":"0312345001",)"
    R"("station_id":"+81 3 0000 0001"},{"id":"sim-2"}]})";

class NodeSettingsApiTest : public testing::ApiServerTest {
  protected:
    void SetUp() override {
        ApiServerTest::SetUp();
        addUser("root", Role::Admin);
        addNode("node-1", fakeNode_.url(), "first-secret");
        NodeRegistryOptions registryOptions;
        registryOptions.settingsPushTimeoutMs = 5000;
        startApi(registryOptions);
    }

    // The node logs in through the node protocol, sending its own settings.
    Answer nodeHello(const std::string& secret = "first-secret", int64_t settingsVersion = 0) {
        Object hello;
        hello.set("node_id", "node-1");
        hello.set("secret", secret);
        hello.set("settings_version", settingsVersion);
        hello.set("settings", parseJsonObject(kNodeDocument));
        Poco::JSON::Array lines;
        Object line;
        line.set("id", "sim-1");
        line.set("state", "idle");
        lines.add(line);
        hello.set("lines", lines);
        Answer answer = call("POST", "/node/v1/hello", jsonText(hello), "");
        if (answer.status == 200) session_ = answer.body->getValue<std::string>("session");
        return answer;
    }
    Answer nodeHeartbeat(int64_t settingsVersion) {
        return call("POST", "/node/v1/heartbeat",
                    R"({"node_id":"node-1","settings_version":)" + std::to_string(settingsVersion) +
                        R"(,"lines":[{"id":"sim-1","state":"idle"}]})",
                    "Bearer " + session_);
    }
    // The document GET shows, as an editor would start from it.
    Object::Ptr currentSettings() {
        Answer got = call("GET", "/api/v1/nodes/node-1/settings");
        EXPECT_EQ(got.status, 200) << got.error();
        return got.body->getObject("settings");
    }
    Answer put(const Object& document) {
        return call("PUT", "/api/v1/nodes/node-1/settings", jsonText(document));
    }

    testing::FakeNode fakeNode_;
    std::string session_;
};

TEST_F(NodeSettingsApiTest, GetBeforeAndAfterTheNodesFirstHello) {
    Answer none = call("GET", "/api/v1/nodes/node-1/settings");
    EXPECT_EQ(none.status, 404);
    EXPECT_EQ(none.error(),
              "node node-1 has no registered settings yet: it registers its own at its first "
              "hello, or PUT them");
    EXPECT_EQ(call("GET", "/api/v1/nodes/ghost/settings").status, 404);
    EXPECT_EQ(
        call("GET", "/api/v1/nodes/node-1/settings", "", basicAuthorization("root", "bad")).status,
        401);

    Answer hello = nodeHello();
    ASSERT_EQ(hello.status, 200) << hello.error();
    // The hello answer brings the node version 1, its own settings registered.
    Object::Ptr carried = hello.body->getObject("settings");
    ASSERT_TRUE(carried);
    EXPECT_EQ(carried->getValue<int64_t>("version"), 1);
    EXPECT_EQ(carried->getObject("settings")->getArray("lines")->size(), 2u);

    Answer got = call("GET", "/api/v1/nodes/node-1/settings");
    ASSERT_EQ(got.status, 200) << got.error();
    EXPECT_EQ(got.body->getValue<int64_t>("version"), 1);
    EXPECT_EQ(got.body->getValue<int64_t>("applied_version"), 0);
    EXPECT_FALSE(got.body->getValue<bool>("in_sync"));
    EXPECT_EQ(got.body->getValue<std::string>("error"), "");
    Object::Ptr settings = got.body->getObject("settings");
    EXPECT_EQ(settings->getValue<int64_t>("version"), 1);
    EXPECT_EQ(settings->getValue<std::string>("url"), fakeNode_.url());
    EXPECT_EQ(settings->getObject("retry")->getValue<int64_t>("busy_retry_ms"), 180000);
    EXPECT_TRUE(settings->getValue<bool>("secret_set"));
    EXPECT_FALSE(settings->has("secret"));

    // The node applies it and says so in its heartbeat.
    ASSERT_EQ(nodeHeartbeat(1).status, 200);
    got = call("GET", "/api/v1/nodes/node-1/settings");
    EXPECT_EQ(got.body->getValue<int64_t>("applied_version"), 1);
    EXPECT_TRUE(got.body->getValue<bool>("in_sync"));
    EXPECT_GT(got.body->getValue<int64_t>("applied_ms"), 0);
}

TEST_F(NodeSettingsApiTest, PutRefusalsNameTheField) {
    nodeHello();
    Object::Ptr document = currentSettings();
    document->getArray("lines")->getObject(1)->set("max_bit_rate", 9000);
    Answer bad = put(*document);
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.error().rfind("lines[1].max_bit_rate: ", 0), 0u) << bad.error();

    document = currentSettings();
    document->getArray("lines")->getObject(0)->set("colour", "blue");
    bad = put(*document);
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.error().rfind("lines[0].colour", 0), 0u) << bad.error();

    document = currentSettings();
    document->set("node_id", "node-2");
    bad = put(*document);
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.error().rfind("node_id: ", 0), 0u) << bad.error();

    EXPECT_EQ(call("PUT", "/api/v1/nodes/node-1/settings", "[1]").status, 400);
    EXPECT_EQ(call("PUT", "/api/v1/nodes/ghost/settings", jsonText(*currentSettings())).status,
              404);
    EXPECT_EQ(call("DELETE", "/api/v1/nodes/node-1/settings").status, 405);
    EXPECT_EQ(store_->latestSettings("node:node-1")->version, 1);  // nothing registered
}

TEST_F(NodeSettingsApiTest, VersionsRiseAndAStaleBaseIsRefused) {
    nodeHello();
    fakeNode_.answer(200, R"({"applied_version":2})");
    Object::Ptr document = currentSettings();
    document->getArray("lines")->getObject(0)->set("station_id", "+81 3 9999 0001");
    Answer first = put(*document);
    ASSERT_EQ(first.status, 201) << first.error();
    EXPECT_EQ(first.body->getValue<int64_t>("version"), 2);

    // The same base again: someone registered version 2 meanwhile.
    Answer stale = put(*document);
    EXPECT_EQ(stale.status, 409);
    EXPECT_EQ(stale.body->getValue<int64_t>("latest_version"), 2);
    EXPECT_NE(stale.error().find("version 2 is the latest"), std::string::npos) << stale.error();

    // Without a base version a registration always applies.
    document->remove("version");
    fakeNode_.answer(200, R"({"applied_version":3})");
    Answer unchecked = put(*document);
    ASSERT_EQ(unchecked.status, 201) << unchecked.error();
    EXPECT_EQ(unchecked.body->getValue<int64_t>("version"), 3);

    auto stored = store_->findSettingsVersion("node:node-1", 2);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->adminUser, "root");
    EXPECT_EQ(stored->action, "node.settings");
    Object::Ptr storedDocument = parseJsonObject(stored->document);
    EXPECT_EQ(storedDocument->getValue<int64_t>("version"), 2);
    EXPECT_EQ(storedDocument->getArray("lines")->getObject(0)->getValue<std::string>("station_id"),
              "+81 3 9999 0001");
    auto audit = store_->listAuditEntries(10);
    ASSERT_GE(audit.size(), 2u);
    EXPECT_EQ(audit[1].action, "node.settings");  // newest first: [0] is version 3
    Object::Ptr changes = parseJsonObject(audit[1].changes);
    EXPECT_EQ(changes->getObject("lines")->getArray("changed")->getElement<std::string>(0),
              "sim-1");
    EXPECT_FALSE(changes->has("time_zone"));  // unchanged fields are not listed
}

TEST_F(NodeSettingsApiTest, NodeFieldsAndSecretChangeInOneRegistration) {
    nodeHello();
    // The node refuses the version for now: the change of secret stays pending.
    fakeNode_.answer(422, R"({"error":"lines[0].number: busy elsewhere"})");
    Object::Ptr document = currentSettings();
    document->set("secret", "second-secret");
    document->set("keep_lines_for_receive", 1);
    Object::Ptr retry = document->getObject("retry");
    retry->set("max_dials", 5);
    Answer answer = put(*document);
    ASSERT_EQ(answer.status, 201) << answer.error();

    auto node = store_->findNode("node-1");
    EXPECT_EQ(node->secret, "second-secret");
    EXPECT_EQ(node->previousSecret, "first-secret");
    EXPECT_EQ(node->keepLinesForReceive, 1);
    EXPECT_EQ(node->retry.maxDials, 5);
    // The version and the audit log never hold the secret.
    auto version = store_->latestSettings("node:node-1");
    EXPECT_EQ(version->document.find("second-secret"), std::string::npos);
    auto audit = store_->listAuditEntries(1);
    EXPECT_EQ(parseJsonObject(audit[0].changes)->getValue<std::string>("secret"), "***");
    EXPECT_EQ(audit[0].changes.find("second-secret"), std::string::npos);
    EXPECT_EQ(parseJsonObject(audit[0].changes)->getValue<int>("keep_lines_for_receive"), 1);

    // The push carried the new secret (the node must learn it) but not the gateway's fields.
    auto requests = fakeNode_.requests();
    ASSERT_EQ(requests.size(), 1u);
    Object::Ptr pushed = parseJsonObject(requests[0].body)->getObject("settings");
    EXPECT_EQ(pushed->getValue<std::string>("secret"), "second-secret");
    EXPECT_FALSE(pushed->has("retry"));
    EXPECT_FALSE(pushed->has("keep_lines_for_receive"));
    // Until the node runs version 2 it may say hello with either secret; the answer brings
    // it version 2 with the new secret.
    Answer old = nodeHello("first-secret", 1);
    ASSERT_EQ(old.status, 200) << old.error();
    Object::Ptr carried = old.body->getObject("settings");
    EXPECT_EQ(carried->getValue<int64_t>("version"), 2);
    EXPECT_EQ(carried->getObject("settings")->getValue<std::string>("secret"), "second-secret");
    EXPECT_EQ(nodeHello("second-secret", 1).status, 200);
    // It applied it: the previous secret is no longer accepted.
    ASSERT_EQ(nodeHeartbeat(2).status, 200);
    EXPECT_EQ(store_->findNode("node-1")->previousSecret, "");
    EXPECT_EQ(nodeHello("first-secret", 2).status, 401);
    EXPECT_EQ(nodeHello("second-secret", 2).status, 200);
}

TEST_F(NodeSettingsApiTest, ASecretChangedByPatchReachesTheNodeAsAVersion) {
    nodeHello();
    ASSERT_EQ(nodeHeartbeat(1).status, 200);
    // The node refuses the version for now: the change of secret stays pending.
    fakeNode_.answer(422, R"({"error":"lines[0].number: busy elsewhere"})");
    Answer patched =
        call("PATCH", "/api/v1/nodes/node-1", R"({"secret":"second-secret","priority":5})");
    ASSERT_EQ(patched.status, 200) << patched.error();
    EXPECT_FALSE(patched.body->has("secret"));
    EXPECT_EQ(patched.body->getObject("settings")->getValue<int64_t>("version"), 2);

    auto node = store_->findNode("node-1");
    EXPECT_EQ(node->secret, "second-secret");
    EXPECT_EQ(node->previousSecret, "first-secret");
    EXPECT_EQ(node->priority, 5);
    // One change, one audit entry: the node settings version and the priority table's.
    auto version = store_->latestSettings("node:node-1");
    ASSERT_TRUE(version);
    EXPECT_EQ(version->version, 2);
    EXPECT_EQ(version->action, "node.change");
    EXPECT_EQ(version->document.find("second-secret"), std::string::npos);
    EXPECT_EQ(parseJsonObject(version->document)->getArray("lines")->size(), 2u);
    ASSERT_TRUE(store_->latestSettings("priority"));
    EXPECT_EQ(store_->latestSettings("priority")->action, "node.change");
    auto audit = store_->listAuditEntries(1);
    EXPECT_EQ(audit[0].action, "node.change");
    EXPECT_EQ(parseJsonObject(audit[0].changes)->getValue<std::string>("secret"), "***");

    // The push carried the new secret.
    auto requests = fakeNode_.requests();
    ASSERT_EQ(requests.size(), 1u);
    Object::Ptr pushed = parseJsonObject(requests[0].body);
    EXPECT_EQ(pushed->getValue<int64_t>("version"), 2);
    EXPECT_EQ(pushed->getObject("settings")->getValue<std::string>("secret"), "second-secret");
    // The node still knows only the old secret: its hello is accepted and brings it version
    // 2 with the new one.
    Answer old = nodeHello("first-secret", 1);
    ASSERT_EQ(old.status, 200) << old.error();
    Object::Ptr carried = old.body->getObject("settings");
    ASSERT_TRUE(carried);
    EXPECT_EQ(carried->getValue<int64_t>("version"), 2);
    EXPECT_EQ(carried->getObject("settings")->getValue<std::string>("secret"), "second-secret");
    // Once it runs version 2 the old secret is refused.
    ASSERT_EQ(nodeHeartbeat(2).status, 200);
    EXPECT_EQ(store_->findNode("node-1")->previousSecret, "");
    EXPECT_EQ(nodeHello("first-secret", 2).status, 401);
    EXPECT_EQ(nodeHello("second-secret", 2).status, 200);

    // A PATCH without a new secret registers no node settings version.
    ASSERT_EQ(call("PATCH", "/api/v1/nodes/node-1", R"({"max_dials":4})").status, 200);
    ASSERT_EQ(call("PATCH", "/api/v1/nodes/node-1", R"({"secret":"second-secret"})").status, 200);
    EXPECT_EQ(store_->latestSettings("node:node-1")->version, 2);
    EXPECT_EQ(fakeNode_.requests().size(), 1u);
}

TEST_F(NodeSettingsApiTest, ANodeThatNeverSaidHelloGetsItsNewSecretAtOnce) {
    // No settings version can carry it: the node's own configuration must.
    Answer patched = call("PATCH", "/api/v1/nodes/node-1", R"({"secret":"second-secret"})");
    ASSERT_EQ(patched.status, 200) << patched.error();
    EXPECT_EQ(store_->findNode("node-1")->secret, "second-secret");
    EXPECT_EQ(store_->findNode("node-1")->previousSecret, "");
    EXPECT_FALSE(store_->latestSettings("node:node-1"));
    EXPECT_TRUE(fakeNode_.requests().empty());
    EXPECT_EQ(nodeHello("first-secret").status, 401);
    EXPECT_EQ(nodeHello("second-secret").status, 200);
}

TEST_F(NodeSettingsApiTest, PushOutcomesAndDriftInTheNodeList) {
    nodeHello();
    ASSERT_EQ(nodeHeartbeat(1).status, 200);
    Object::Ptr document = currentSettings();
    document->remove("version");

    fakeNode_.answer(200, R"({"applied_version":2})");
    Answer applied = put(*document);
    ASSERT_EQ(applied.status, 201) << applied.error();
    EXPECT_TRUE(applied.body->getValue<bool>("pushed"));
    EXPECT_EQ(applied.body->getValue<int64_t>("applied_version"), 2);
    EXPECT_EQ(applied.body->getValue<std::string>("push_error"), "");
    auto requests = fakeNode_.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].path, "/v1/settings");
    EXPECT_EQ(requests[0].authorization, "Bearer " + session_);
    EXPECT_FALSE(parseJsonObject(requests[0].body)->getObject("settings")->has("secret"));
    Object::Ptr listed = call("GET", "/api/v1/nodes").body->getArray("nodes")->getObject(0);
    EXPECT_TRUE(listed->getObject("settings")->getValue<bool>("in_sync"));
    EXPECT_EQ(listed->getObject("settings")->getValue<int64_t>("version"), 2);

    fakeNode_.answer(422, R"({"error":"lines[0].station_id: at most 20 characters"})");
    Answer refused = put(*document);
    ASSERT_EQ(refused.status, 201) << refused.error();
    EXPECT_TRUE(refused.body->getValue<bool>("pushed"));
    EXPECT_EQ(refused.body->getValue<int64_t>("applied_version"), 2);
    EXPECT_EQ(refused.body->getValue<std::string>("push_error"),
              "lines[0].station_id: at most 20 characters");
    Answer got = call("GET", "/api/v1/nodes/node-1/settings");
    EXPECT_EQ(got.body->getValue<std::string>("error"),
              "lines[0].station_id: at most 20 characters");
    EXPECT_EQ(got.body->getValue<int64_t>("error_version"), 3);
    EXPECT_FALSE(got.body->getValue<bool>("in_sync"));

    // A registration that moves the node to an address where nothing answers: the version
    // stays registered, the node behind.
    document->set("url", testing::FakeNode::closedUrl());
    Answer unreachable = put(*document);
    ASSERT_EQ(unreachable.status, 201) << unreachable.error();
    EXPECT_EQ(unreachable.body->getValue<int64_t>("version"), 4);
    EXPECT_FALSE(unreachable.body->getValue<bool>("pushed"));
    EXPECT_NE(unreachable.body->getValue<std::string>("push_error"), "");
    Answer one = call("GET", "/api/v1/nodes/node-1");
    Object::Ptr drift = one.body->getObject("settings");
    EXPECT_EQ(drift->getValue<int64_t>("version"), 4);
    EXPECT_EQ(drift->getValue<int64_t>("applied_version"), 2);
    EXPECT_FALSE(drift->getValue<bool>("in_sync"));
    // Its next heartbeat is refused; its hello brings it version 4.
    EXPECT_EQ(nodeHeartbeat(2).status, 401);
    Answer hello = nodeHello("first-secret", 2);
    ASSERT_EQ(hello.status, 200);
    EXPECT_EQ(hello.body->getObject("settings")->getValue<int64_t>("version"), 4);
}

TEST_F(NodeSettingsApiTest, RestoreRegistersAnOldVersionAgain) {
    nodeHello();
    fakeNode_.answer(200, R"({"applied_version":2})");
    Object::Ptr document = currentSettings();
    document->getArray("lines")->getObject(0)->set("station_id", "+81 3 9999 0001");
    document->getObject("retry")->set("max_dials", 5);
    ASSERT_EQ(put(*document).status, 201);
    ASSERT_EQ(store_->findNode("node-1")->retry.maxDials, 5);

    fakeNode_.answer(200, R"({"applied_version":3})");
    Answer restored = call("POST", "/api/v1/settings/node:node-1/versions/1/restore");
    ASSERT_EQ(restored.status, 201) << restored.error();
    EXPECT_EQ(restored.body->getValue<int64_t>("version"), 3);
    EXPECT_TRUE(restored.body->getValue<bool>("pushed"));
    Object::Ptr settings = currentSettings();
    EXPECT_EQ(settings->getValue<int64_t>("version"), 3);
    EXPECT_EQ(settings->getArray("lines")->getObject(0)->getValue<std::string>("station_id"),
              "+81 3 0000 0001");
    EXPECT_EQ(store_->findNode("node-1")->retry.maxDials, 12);  // the gateway's fields too
    EXPECT_EQ(store_->findNode("node-1")->secret, "first-secret");
    auto audit = store_->listAuditEntries(1);
    EXPECT_EQ(audit[0].action, "node.settings.restore");
    EXPECT_EQ(parseJsonObject(audit[0].changes)->getValue<int64_t>("restored_from"), 1);

    EXPECT_EQ(call("POST", "/api/v1/settings/node:node-1/versions/9/restore").status, 404);
    EXPECT_EQ(call("POST", "/api/v1/settings/node:ghost/versions/1/restore").status, 404);
    EXPECT_EQ(call("GET", "/api/v1/settings/node:node-1/versions/1/restore").status, 405);
}

}  // namespace
}  // namespace faxgate::gateway
