// Central node settings at the registry (docs/settings.md): the hello import of a node's own
// settings as version 1, the hello answer that carries the version a node lags behind, the
// status a heartbeat reports (stored only when it changes), the previous secret accepted
// until the node runs the version with the new one, and pushes to a fake node that applies
// (200), refuses (422) or cannot be reached.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include "gateway/nodes/node_registry.h"
#include "tests/gateway/nodes/fake_node.h"
#include "tests/gateway/store/store_fixture.h"

namespace faxgate::gateway {
namespace {

using Poco::JSON::Object;

Object::Ptr parse(const std::string& json) {
    return Poco::JSON::Parser().parse(json).extract<Object::Ptr>();
}

// What a node sends at hello: its INI settings, without the secret.
const char* kNodeDocument =
    R"({"version":0,"node_id":"node-1","secret_set":true,"time_zone":"UTC",)"
    R"("lines":[{"id":"sim-1","driver":"sim","number":"0312345001",)"
    R"("station_id":"+81 3 0000 0001"}]})";

class NodeSettingsSyncTest : public testing::TempStoreTest {
  protected:
    void SetUp() override {
        TempStoreTest::SetUp();
        node_.id = "node-1";
        node_.url = fakeNode_.url();
        node_.secret = "first-secret";
        node_.keepLinesForReceive = 1;
        store_->upsertNode(node_);
        registry_ =
            std::make_unique<NodeRegistry>(*store_, NodeRegistryOptions{}, [this] { return now_; });
    }
    void TearDown() override {
        registry_.reset();
        TempStoreTest::TearDown();
    }

    HelloAnswer hello(const std::string& secret, int64_t settingsVersion,
                      std::optional<std::string> document = std::nullopt) {
        HelloRequest request;
        request.nodeId = "node-1";
        request.secret = secret;
        request.address = "127.0.0.7";
        request.lines = {{"sim-1", "idle", 0}};
        request.settingsVersion = settingsVersion;
        request.settingsJson = std::move(document);
        return registry_->hello(request);
    }
    // A registration that changes the secret, as the admin API makes it.
    int64_t changeSecret(const std::string& newSecret) {
        Node changed = *store_->findNode("node-1");
        changed.previousSecret = changed.secret;
        changed.secret = newSecret;
        AuditEntry entry;
        entry.adminUser = "root";
        entry.action = "node.settings";
        entry.target = "node-1";
        entry.changes = R"({"secret":"***"})";
        const int64_t latest = store_->latestSettings("node:node-1")->version;
        entry.snapshot = SettingsSnapshot{"node:node-1",
                                          store_->latestSettings("node:node-1")->document, latest};
        const int64_t version = store_->updateNodeAudited(changed, entry);
        registry_->settings().noteSecretChange("node-1", version);
        return version;
    }
    bool heartbeat(const std::string& session, int64_t applied, const std::string& error = "",
                   int64_t errorVersion = 0) {
        return registry_->heartbeat(session, {{"sim-1", "idle", 0}},
                                    NodeSettingsReport{applied, error, errorVersion});
    }

    testing::FakeNode fakeNode_;
    Node node_;
    std::unique_ptr<NodeRegistry> registry_;
    int64_t now_ = 1'000'000;
};

TEST_F(NodeSettingsSyncTest, FirstHelloImportsTheNodesSettingsAsVersionOne) {
    HelloAnswer answer = hello("first-secret", 0, kNodeDocument);
    ASSERT_EQ(answer.httpStatus, 200) << answer.error;

    auto version = store_->latestSettings("node:node-1");
    ASSERT_TRUE(version);
    EXPECT_EQ(version->version, 1);
    EXPECT_EQ(version->adminUser, "node:node-1");
    EXPECT_EQ(version->clientAddress, "127.0.0.7");
    EXPECT_EQ(version->action, "node.import");
    Object::Ptr stored = parse(version->document);
    EXPECT_EQ(stored->getValue<int64_t>("version"), 1);
    // The gateway's own fields come from its nodes table; the secret is never stored.
    EXPECT_EQ(stored->getValue<std::string>("url"), fakeNode_.url());
    EXPECT_EQ(stored->getValue<int>("keep_lines_for_receive"), 1);
    EXPECT_EQ(stored->getObject("retry")->getValue<int>("max_dials"), 12);
    EXPECT_TRUE(stored->getValue<bool>("secret_set"));
    EXPECT_EQ(version->document.find("first-secret"), std::string::npos);
    EXPECT_EQ(stored->getArray("lines")->getObject(0)->getValue<std::string>("station_id"),
              "+81 3 0000 0001");

    // The node runs version 0 (its INI file): the answer brings it version 1, with only what
    // the node applies, and no secret while no change of it is pending.
    EXPECT_EQ(answer.settingsVersion, 1);
    Object::Ptr sent = parse(answer.settingsJson);
    EXPECT_EQ(sent->getValue<int64_t>("version"), 1);
    EXPECT_EQ(sent->getValue<std::string>("node_id"), "node-1");
    EXPECT_FALSE(sent->has("url"));
    EXPECT_FALSE(sent->has("retry"));
    EXPECT_FALSE(sent->has("secret"));
    EXPECT_EQ(sent->getArray("lines")->size(), 1u);

    NodeSettingsDrift drift = registry_->settings().drift("node-1");
    EXPECT_EQ(drift.version, 1);
    EXPECT_EQ(drift.appliedVersion, 0);
    EXPECT_FALSE(drift.inSync);
}

TEST_F(NodeSettingsSyncTest, HelloWithSettingsThatDoNotValidateStillLogsIn) {
    std::string bad = kNodeDocument;
    bad.replace(bad.find("\"station_id\""), 0, "\"max_bit_rate\":9000,");
    HelloAnswer answer = hello("first-secret", 0, bad);
    EXPECT_EQ(answer.httpStatus, 200);
    EXPECT_FALSE(answer.session.empty());
    EXPECT_EQ(answer.settingsVersion, 0);
    EXPECT_FALSE(store_->latestSettings("node:node-1"));
}

TEST_F(NodeSettingsSyncTest, HelloCarriesSettingsOnlyWhenTheNodeIsBehind) {
    hello("first-secret", 0, kNodeDocument);
    // The node applied version 1 and says hello again (restart): nothing to bring.
    HelloAnswer inSync = hello("first-secret", 1, kNodeDocument);
    EXPECT_EQ(inSync.settingsVersion, 0);
    EXPECT_EQ(store_->latestSettings("node:node-1")->version, 1);  // no second import
    EXPECT_TRUE(registry_->settings().drift("node-1").inSync);
}

TEST_F(NodeSettingsSyncTest, HeartbeatStatusIsStoredWhenItChangesOnly) {
    hello("first-secret", 0, kNodeDocument);
    const std::string session = hello("first-secret", 0).session;
    now_ = 2'000'000;
    ASSERT_TRUE(heartbeat(session, 1));
    EXPECT_EQ(store_->findNodeSettingsStatus("node-1")->appliedMs, 2'000'000);
    now_ = 3'000'000;
    ASSERT_TRUE(heartbeat(session, 1));
    // Same version: the stored status still says since when it runs it.
    EXPECT_EQ(store_->findNodeSettingsStatus("node-1")->appliedMs, 2'000'000);
    EXPECT_TRUE(registry_->settings().drift("node-1").inSync);

    // A refused version from a hello answer is reported by the heartbeats...
    ASSERT_TRUE(heartbeat(session, 1, "lines[0].max_bit_rate: expected ..., got 9000", 2));
    auto status = store_->findNodeSettingsStatus("node-1");
    EXPECT_EQ(status->error, "lines[0].max_bit_rate: expected ..., got 9000");
    EXPECT_EQ(status->errorVersion, 2);
    // ... stays while the node runs an older version, and goes when it applies a newer one.
    ASSERT_TRUE(heartbeat(session, 1));
    EXPECT_EQ(registry_->settings().drift("node-1").errorVersion, 2);
    ASSERT_TRUE(heartbeat(session, 2));
    EXPECT_EQ(store_->findNodeSettingsStatus("node-1")->error, "");
    EXPECT_EQ(registry_->settings().drift("node-1").error, "");
    // A heartbeat without a session changes nothing.
    EXPECT_FALSE(heartbeat("not-a-session", 7));
    EXPECT_EQ(store_->findNodeSettingsStatus("node-1")->appliedVersion, 2);
}

TEST_F(NodeSettingsSyncTest, PreviousSecretIsAcceptedUntilTheNodeRunsTheNewOne) {
    const std::string session = hello("first-secret", 0, kNodeDocument).session;
    ASSERT_TRUE(heartbeat(session, 1));
    const int64_t withNewSecret = changeSecret("second-secret");
    ASSERT_EQ(withNewSecret, 2);

    // The node was offline: it comes back with the secret it knows and gets the new one.
    HelloAnswer old = hello("first-secret", 1);
    ASSERT_EQ(old.httpStatus, 200) << old.error;
    EXPECT_EQ(old.settingsVersion, 2);
    EXPECT_EQ(parse(old.settingsJson)->getValue<std::string>("secret"), "second-secret");
    EXPECT_EQ(hello("wrong-secret", 1).httpStatus, 401);

    ASSERT_TRUE(heartbeat(old.session, 1));  // not yet applied: both still work
    EXPECT_EQ(store_->findNode("node-1")->previousSecret, "first-secret");
    EXPECT_EQ(hello("first-secret", 1).httpStatus, 200);

    const std::string current = hello("second-secret", 1).session;
    ASSERT_TRUE(heartbeat(current, 2));
    EXPECT_EQ(store_->findNode("node-1")->previousSecret, "");
    EXPECT_EQ(hello("first-secret", 2).httpStatus, 401);
    HelloAnswer done = hello("second-secret", 2);
    EXPECT_EQ(done.httpStatus, 200);
    EXPECT_EQ(done.settingsVersion, 0);
}

TEST_F(NodeSettingsSyncTest, AfterARestartTheLatestVersionEndsASecretChange) {
    hello("first-secret", 0, kNodeDocument);
    changeSecret("second-secret");
    // A new registry (gateway restart) does not know which version carried the secret.
    registry_ =
        std::make_unique<NodeRegistry>(*store_, NodeRegistryOptions{}, [this] { return now_; });
    EXPECT_EQ(hello("first-secret", 1).httpStatus, 200);
    EXPECT_EQ(store_->findNode("node-1")->previousSecret, "first-secret");
    EXPECT_EQ(hello("second-secret", 2).httpStatus, 200);
    EXPECT_EQ(store_->findNode("node-1")->previousSecret, "");
}

TEST_F(NodeSettingsSyncTest, PushThatTheNodeAppliesIsRecorded) {
    const std::string session = hello("first-secret", 0, kNodeDocument).session;
    auto desired = registry_->settings().desired(*store_->findNode("node-1"));
    ASSERT_TRUE(desired);
    fakeNode_.answer(200, R"({"applied_version":1})");
    now_ = 5'000'000;
    SettingsPushOutcome outcome = registry_->pushSettings(
        "node-1", 1, NodeSettingsSync::documentForNode(*desired, *store_->findNode("node-1")));
    EXPECT_TRUE(outcome.pushed);
    EXPECT_EQ(outcome.appliedVersion, 1);
    EXPECT_EQ(outcome.error, "");

    auto requests = fakeNode_.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].method, "PUT");
    EXPECT_EQ(requests[0].path, "/v1/settings");
    EXPECT_EQ(requests[0].authorization, "Bearer " + session);
    Object::Ptr body = parse(requests[0].body);
    EXPECT_EQ(body->getValue<int64_t>("version"), 1);
    EXPECT_EQ(body->getObject("settings")->getValue<std::string>("node_id"), "node-1");

    auto status = store_->findNodeSettingsStatus("node-1");
    EXPECT_EQ(status->appliedVersion, 1);
    EXPECT_EQ(status->appliedMs, 5'000'000);
    EXPECT_TRUE(registry_->settings().drift("node-1").inSync);
}

TEST_F(NodeSettingsSyncTest, PushThatTheNodeRefusesKeepsTheNodesError) {
    hello("first-secret", 0, kNodeDocument);
    fakeNode_.answer(422, R"({"error":"lines[0].driver: unknown driver \"isdn\""})");
    SettingsPushOutcome outcome = registry_->pushSettings("node-1", 1, R"({"node_id":"node-1"})");
    EXPECT_TRUE(outcome.pushed);
    EXPECT_EQ(outcome.appliedVersion, 0);
    EXPECT_EQ(outcome.error, "lines[0].driver: unknown driver \"isdn\"");
    NodeSettingsDrift drift = registry_->settings().drift("node-1");
    EXPECT_EQ(drift.error, "lines[0].driver: unknown driver \"isdn\"");
    EXPECT_EQ(drift.errorVersion, 1);
    EXPECT_FALSE(drift.inSync);
}

TEST_F(NodeSettingsSyncTest, UnreachableNodeGetsTheVersionAtItsNextHello) {
    node_.url = testing::FakeNode::closedUrl();
    store_->upsertNode(node_);
    const std::string session = hello("first-secret", 0, kNodeDocument).session;
    SettingsPushOutcome outcome = registry_->pushSettings("node-1", 1, R"({"node_id":"node-1"})");
    EXPECT_FALSE(outcome.pushed);
    EXPECT_NE(outcome.error.find("next hello"), std::string::npos) << outcome.error;
    // Its session is gone: the next heartbeat is refused, so the node says hello again...
    EXPECT_FALSE(heartbeat(session, 0));
    // ... and that hello brings it the version.
    EXPECT_EQ(hello("first-secret", 0).settingsVersion, 1);

    // A node without a session is not called at all.
    registry_ =
        std::make_unique<NodeRegistry>(*store_, NodeRegistryOptions{}, [this] { return now_; });
    SettingsPushOutcome offline = registry_->pushSettings("node-1", 1, R"({"node_id":"node-1"})");
    EXPECT_FALSE(offline.pushed);
    EXPECT_NE(offline.error.find("not logged in"), std::string::npos) << offline.error;
}

}  // namespace
}  // namespace faxgate::gateway
