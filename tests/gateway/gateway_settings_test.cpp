// The gateway's own settings registered at the admin API (scope "gateway", docs/settings.md):
// registered values replace the file's and are checked by the loader that checks the file
// (errors name the key); GET/PUT /api/v1/gateway-settings over real loopback HTTP with the
// real GatewaySettings host: versions, 409, the write-only relay password, restart_required,
// relay settings in force at the next send without a restart, restore; and the start-up
// loading of registered values, which falls back to the file when they no longer fit it.
#include "gateway/gateway_settings.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "gateway/api/api_server.h"
#include "gateway/store/password_hash.h"
#include "tests/gateway/api/admin_api_test_support.h"
#include "tests/gateway/store/store_fixture.h"

namespace faxgate::gateway {
namespace {

using Poco::JSON::Object;
using ::testing::HasSubstr;

// The relay the gateway starts with, replaced when relay settings are registered.
class RecordingTransport : public MailTransport {
  public:
    SendOutcome send(const OutboxMail& mail) override {
        sent.push_back(mail.id);
        return {true, false, {}};
    }
    std::vector<int64_t> sent;
};

std::vector<std::string> strings(const Poco::JSON::Array::Ptr& array) {
    std::vector<std::string> out;
    for (unsigned i = 0; array && i < array->size(); ++i)
        out.push_back(array->getElement<std::string>(i));
    return out;
}

class GatewaySettingsTest : public testing::TempStoreTest {
  protected:
    void SetUp() override {
        TempStoreTest::SetUp();
        iniPath_ = (directory_ / "gateway.ini").string();
        writeIni(
            "[gateway]\nhostname = gw.example\n[smtp]\nport = 2525\n"
            "[relay]\nurl = smtp://127.0.0.1:2\n");
        User root;
        root.id = "root";
        root.role = Role::Admin;
        root.passwordHash = hashPassword("root-pw");
        store_->addUser(root);
    }
    void TearDown() override {
        server_.reset();
        scheduler_.reset();
        registry_.reset();
        settings_.reset();
        TempStoreTest::TearDown();
    }

    void writeIni(const std::string& text) { std::ofstream(iniPath_) << text; }

    // The API as the gateway wires it, running on the file as it is now.
    void startApi() {
        const GatewayConfig running = withRegisteredSettings(loadGatewayConfig(iniPath_), *store_);
        relay_ = std::make_unique<ReplaceableTransport>(recording_);
        settings_ = std::make_unique<GatewaySettings>(
            running, running.relayUrl.empty() ? nullptr : relay_.get());
        auto clock = [] { return Poco::Timestamp().epochMicroseconds() / 1000; };
        registry_ = std::make_unique<NodeRegistry>(*store_, NodeRegistryOptions{}, clock);
        scheduler_ = std::make_unique<Scheduler>(
            *store_, *registry_, SchedulerOptions{}, [](int64_t) {}, clock);
        ApiServerOptions options;
        options.port = 0;
        server_ = std::make_unique<ApiServer>(options, *store_, *registry_, *scheduler_, nullptr,
                                              settings_.get());
        server_->start();
    }

    struct Answer : testing::ApiAnswer {
        Object::Ptr settings() const { return body->getObject("settings"); }
    };

    Answer call(const std::string& method, const std::string& path, const std::string& body = "") {
        return {testing::callApi(server_->port(), method, path, body,
                                 testing::basicAuthorization("root", "root-pw"))};
    }

    std::string configError(const ConfigOverrides& overrides, std::string* key = nullptr) {
        try {
            loadGatewayConfig(iniPath_, overrides);
        } catch (const ConfigError& e) {
            if (key) *key = e.key();
            return e.what();
        }
        return "(no error)";
    }

    std::string iniPath_;
    std::shared_ptr<RecordingTransport> recording_ = std::make_shared<RecordingTransport>();
    std::unique_ptr<ReplaceableTransport> relay_;
    std::unique_ptr<GatewaySettings> settings_;
    std::unique_ptr<NodeRegistry> registry_;
    std::unique_ptr<Scheduler> scheduler_;
    std::unique_ptr<ApiServer> server_;
};

TEST_F(GatewaySettingsTest, RegisteredValuesReplaceTheFilesAndAreCheckedLikeIt) {
    GatewayConfig config = loadGatewayConfig(iniPath_, {{"smtp.port", "2600"},
                                                        {"relay.url", "smtps://relay.example:465"},
                                                        {"reports.attach_document", "false"}});
    EXPECT_EQ(config.smtpPort, 2600);
    EXPECT_EQ(config.relayUrl, "smtps://relay.example:465");
    EXPECT_FALSE(config.attachDocument);
    EXPECT_EQ(config.hostname, "gw.example");  // the file's, not registered
    EXPECT_EQ(config.relayHeloName, "gw.example");
    EXPECT_EQ(config.configFile, iniPath_);
    const ConfigOverrides values = registrableValues(config);
    EXPECT_EQ(values.at("smtp.port"), "2600");
    EXPECT_EQ(values.at("reports.attach_document"), "false");
    EXPECT_EQ(values.size(), registrableGatewayKeys().size());

    std::string key;
    EXPECT_EQ(configError({{"smtp.port", "99999"}}, &key),
              "registered setting (admin API): smtp.port: '99999' is not a whole number from 0 to "
              "65535");
    EXPECT_EQ(key, "smtp.port");
    EXPECT_THAT(configError({{"gateway.data_dir", "/tmp"}}, &key),
                HasSubstr("gateway.data_dir: cannot be registered at the admin API"));
    EXPECT_THAT(configError({{"relay.url", "http://relay.example"}}, &key),
                HasSubstr("relay.url: relay url \"http://relay.example\" must start with smtp://"));
    EXPECT_EQ(key, "relay.url");
    EXPECT_THAT(configError({{"relay.user", "fax"}}, &key), HasSubstr("user and password"));
    EXPECT_EQ(key, "relay.user");
    EXPECT_THAT(configError({{"relay.helo_name", "bad name"}}, &key), HasSubstr("helo name"));
    EXPECT_EQ(key, "relay.helo_name");
    // The same checks hold for the file itself.
    writeIni("[relay]\nurl = ftp://relay.example\n");
    EXPECT_THAT(configError({}, &key), HasSubstr(iniPath_ + ": relay.url: relay url"));
}

TEST_F(GatewaySettingsTest, PutAndGetWithVersionsConflictsAndRestartRequired) {
    startApi();
    Answer empty = call("GET", "/api/v1/gateway-settings");
    ASSERT_EQ(empty.status, 200) << empty.error();
    EXPECT_EQ(empty.body->getValue<int64_t>("version"), 0);
    EXPECT_EQ(empty.settings()->size(), 0u);
    EXPECT_TRUE(strings(empty.body->getArray("restart_required")).empty());

    Answer put =
        call("PUT", "/api/v1/gateway-settings",
             R"({"version":0,"settings":{"smtp.port":2600,"smtp.fax_domain":"fax.example",)"
             R"("relay.require_tls":true}})");
    ASSERT_EQ(put.status, 200) << put.error();
    EXPECT_EQ(put.body->getValue<int64_t>("version"), 1);
    EXPECT_EQ(put.settings()->getValue<int>("smtp.port"), 2600);
    // Listeners wait for a restart; relay.from follows the fax domain, also at the next start.
    EXPECT_EQ(strings(put.body->getArray("restart_required")),
              (std::vector<std::string>{"smtp.port", "smtp.fax_domain", "relay.from"}));

    Answer stale = call("PUT", "/api/v1/gateway-settings", R"({"version":0,"settings":{}})");
    EXPECT_EQ(stale.status, 409);
    EXPECT_EQ(stale.body->getValue<int64_t>("latest_version"), 1);

    Answer bad = call("PUT", "/api/v1/gateway-settings", R"({"settings":{"smtp.port":"many"}})");
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.error(), "settings.smtp.port: 'many' is not a whole number from 0 to 65535");
    Answer unknown =
        call("PUT", "/api/v1/gateway-settings", R"({"settings":{"gateway.data_dir":"/tmp"}})");
    EXPECT_EQ(unknown.status, 400);
    EXPECT_THAT(unknown.error(), HasSubstr("settings.gateway.data_dir: not a key that can be "
                                           "registered; these can: smtp.listen_address"));
    EXPECT_EQ(call("PUT", "/api/v1/gateway-settings", R"({"settings":{"smtp.port":[1]}})").status,
              400);
    EXPECT_EQ(store_->latestSettings("gateway")->version, 1);

    // Leaving a key out of the next registration gives it back to the file.
    Answer back = call("PUT", "/api/v1/gateway-settings", R"({"version":1,"settings":{}})");
    ASSERT_EQ(back.status, 200) << back.error();
    EXPECT_TRUE(strings(back.body->getArray("restart_required")).empty());
    auto audit = store_->listAuditEntries(1).front();
    EXPECT_EQ(audit.action, "gateway.settings");
    EXPECT_EQ(audit.adminUser, "root");
    EXPECT_EQ(audit.clientAddress, "127.0.0.1");
    EXPECT_THAT(audit.changes, HasSubstr(R"("smtp.port":null)"));
}

TEST_F(GatewaySettingsTest, TheRelayPasswordIsWriteOnlyAndRelaySettingsApplyAtTheNextSend) {
    startApi();
    OutboxMail mail;
    mail.id = 1;
    mail.from = "faxgate@fax.local";
    mail.to = {"alice@example.com"};
    mail.data = "Subject: x\r\n\r\nx\r\n";
    ASSERT_TRUE(relay_->send(mail).ok);  // the relay the gateway started with

    Answer put = call("PUT", "/api/v1/gateway-settings",
                      R"({"settings":{"relay.url":"smtp://127.0.0.1:1","relay.user":"fax",)"
                      R"("relay.password":"pa55word"}})");
    ASSERT_EQ(put.status, 200) << put.error();
    EXPECT_TRUE(put.settings()->getValue<bool>("relay.password_set"));
    EXPECT_FALSE(put.settings()->has("relay.password"));
    EXPECT_TRUE(strings(put.body->getArray("restart_required")).empty());
    EXPECT_EQ(store_->latestSettings("gateway")->document.find("pa55word"), std::string::npos);
    EXPECT_EQ(store_->listAuditEntries(1).front().changes.find("pa55word"), std::string::npos);
    EXPECT_THAT(store_->listAuditEntries(1).front().changes,
                HasSubstr(R"("relay.password":"***")"));

    // Without a restart, the next try goes to the registered relay (nothing listens on port 1).
    mail.id = 2;
    SendOutcome next = relay_->send(mail);
    EXPECT_FALSE(next.ok);
    EXPECT_THAT(next.error, HasSubstr("relay smtp://127.0.0.1:1"));
    EXPECT_EQ(recording_->sent, std::vector<int64_t>{1});

    // Sent back as GET shows it, the password is kept; left out, it is dropped.
    Answer kept = call("PUT", "/api/v1/gateway-settings",
                       R"({"settings":{"relay.url":"smtp://127.0.0.1:1","relay.user":"fax",)"
                       R"("relay.password_set":true}})");
    ASSERT_EQ(kept.status, 200) << kept.error();
    EXPECT_EQ(store_->loadSettingsSecrets("gateway").at("relay.password"), "pa55word");
    Answer dropped = call("PUT", "/api/v1/gateway-settings",
                          R"({"settings":{"relay.url":"smtp://127.0.0.1:1","relay.user":"fax"}})");
    EXPECT_EQ(dropped.status, 400);
    EXPECT_EQ(dropped.error(),
              "settings.relay.user: relay user and password must be given together");
    ASSERT_EQ(call("PUT", "/api/v1/gateway-settings",
                   R"({"settings":{"relay.url":"smtp://127.0.0.1:1"}})")
                  .status,
              200);
    EXPECT_TRUE(store_->loadSettingsSecrets("gateway").empty());
    Answer nothingToKeep =
        call("PUT", "/api/v1/gateway-settings", R"({"settings":{"relay.password_set":true}})");
    EXPECT_EQ(nothingToKeep.status, 400);
    EXPECT_THAT(nothingToKeep.error(), HasSubstr("settings.relay.password_set: no relay.password"));

    // Version 1 had a password; versions never keep it, so it cannot come back by a restore.
    Answer restore = call("POST", "/api/v1/settings/gateway/versions/1/restore");
    EXPECT_EQ(restore.status, 409);
    EXPECT_THAT(restore.error(), HasSubstr("version 1 of gateway cannot be registered again: "
                                           "settings.relay.password_set"));
}

TEST_F(GatewaySettingsTest, RestoreRegistersAnOldVersionAndPutsItInForce) {
    startApi();
    ASSERT_EQ(call("PUT", "/api/v1/gateway-settings",
                   R"({"settings":{"relay.url":"smtp://127.0.0.1:1"}})")
                  .status,
              200);
    ASSERT_EQ(call("PUT", "/api/v1/gateway-settings", R"({"settings":{"smtp.port":2700}})").status,
              200);
    OutboxMail mail;
    mail.id = 7;
    mail.from = "faxgate@fax.local";
    mail.to = {"alice@example.com"};
    mail.data = "x\r\n";
    EXPECT_THAT(relay_->send(mail).error,
                HasSubstr("relay smtp://127.0.0.1:2"));  // the file's again

    Answer restored = call("POST", "/api/v1/settings/gateway/versions/1/restore");
    ASSERT_EQ(restored.status, 201) << restored.error();
    EXPECT_EQ(restored.body->getValue<int64_t>("version"), 3);
    EXPECT_EQ(restored.settings()->getValue<std::string>("relay.url"), "smtp://127.0.0.1:1");
    EXPECT_THAT(relay_->send(mail).error, HasSubstr("relay smtp://127.0.0.1:1"));
    EXPECT_EQ(store_->listAuditEntries(1).front().action, "gateway.settings.restore");
    Answer old = call("GET", "/api/v1/settings/gateway/versions/2");
    EXPECT_EQ(old.settings()->getValue<int>("smtp.port"), 2700);
}

TEST_F(GatewaySettingsTest, WithoutARelayAtStartRelayKeysWaitForARestart) {
    writeIni("[gateway]\nhostname = gw.example\n");
    startApi();
    Answer put = call("PUT", "/api/v1/gateway-settings",
                      R"({"settings":{"relay.url":"smtp://relay.example:25"}})");
    ASSERT_EQ(put.status, 200) << put.error();
    EXPECT_EQ(strings(put.body->getArray("restart_required")),
              std::vector<std::string>{"relay.url"});
}

TEST_F(GatewaySettingsTest, StartUpLoadsRegisteredValuesAndFallsBackWhenTheyNoLongerFit) {
    startApi();
    ASSERT_EQ(call("PUT", "/api/v1/gateway-settings",
                   R"({"settings":{"smtp.port":2600,"outbox.first_retry_delay_ms":5000,)"
                   R"("relay.user":"fax","relay.password":"pw"}})")
                  .status,
              200);
    GatewayConfig config = withRegisteredSettings(loadGatewayConfig(iniPath_), *store_);
    EXPECT_EQ(config.smtpPort, 2600);
    EXPECT_EQ(config.outboxFirstRetryDelayMs, 5000);
    EXPECT_EQ(config.relayUser, "fax");
    EXPECT_EQ(config.relayPassword, "pw");

    // The file changed since: its retry cap is now below the registered first delay. The
    // registered values are left out as a whole; the gateway starts on the file.
    writeIni(
        "[gateway]\nhostname = gw.example\n[relay]\nurl = smtp://127.0.0.1:2\n"
        "[outbox]\nfirst_retry_delay_ms = 500\nmax_retry_delay_ms = 2000\n");
    const GatewayConfig file = loadGatewayConfig(iniPath_);
    const GatewayConfig fallback = withRegisteredSettings(file, *store_);
    EXPECT_EQ(fallback.smtpPort, 2525);
    EXPECT_EQ(fallback.relayUser, "");
    EXPECT_EQ(fallback.outboxFirstRetryDelayMs, 500);

    // The API says why a registration does not fit, naming the file's key.
    server_.reset();
    settings_.reset();
    startApi();
    Answer refused = call("PUT", "/api/v1/gateway-settings",
                          R"({"settings":{"outbox.first_retry_delay_ms":5000}})");
    EXPECT_EQ(refused.status, 400);
    EXPECT_EQ(refused.error(), iniPath_ +
                                   ": outbox.max_retry_delay_ms: must not be below "
                                   "first_retry_delay_ms");
}

}  // namespace
}  // namespace faxgate::gateway
