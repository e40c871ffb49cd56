// Loading of the gateway's configuration: the keys of the external delivery of received faxes
// ([inbound], [imap_append], [outbox]) with their defaults and their validation.
#include "gateway/gateway_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace faxgate::gateway {
namespace {

using ::testing::HasSubstr;

class GatewayConfigTest : public ::testing::Test {
  protected:
    void SetUp() override {
        directory_ = std::filesystem::temp_directory_path() /
                     ("gateway-config-" + std::to_string(::getpid()));
        std::filesystem::create_directories(directory_);
    }
    void TearDown() override { std::filesystem::remove_all(directory_); }

    GatewayConfig load(const std::string& text) {
        const std::string path = (directory_ / "gateway.ini").string();
        std::ofstream(path) << text;
        return loadGatewayConfig(path);
    }
    std::string errorOf(const std::string& text) {
        try {
            load(text);
        } catch (const ConfigError& e) {
            return e.what();
        }
        return "(no error)";
    }

    std::filesystem::path directory_;
};

TEST_F(GatewayConfigTest, ExternalDeliveryDefaultsToTheRelayAndImapAppendIsOff) {
    GatewayConfig config = load("[gateway]\nhostname = fax.example\n");
    EXPECT_EQ(config.externalDelivery, "smtp");
    EXPECT_EQ(config.imapAppendUrl, "");
    EXPECT_EQ(config.imapAppendLogin, "{email}");
    EXPECT_TRUE(config.imapAppendRequireTls);
    EXPECT_TRUE(config.imapAppendVerifyCertificate);
    EXPECT_EQ(config.outboxFirstRetryDelayMs, 60000);
}

TEST_F(GatewayConfigTest, ImapAppendKeysAreReadAndThePasswordComesFromItsFile) {
    std::ofstream(directory_ / "secret") << "master-secret\r\n";
    GatewayConfig config = load(
        "[inbound]\nexternal_delivery = imap_append\n"
        "[imap_append]\nurl = imaps://imap.example.org/Faxes\nlogin = {email}*faxgate\n"
        "password_file = " +
        (directory_ / "secret").string() +
        "\nverify_certificate = false\ntimeout_ms = 5000\n"
        "[outbox]\nfirst_retry_delay_ms = 500\nmax_retry_delay_ms = 2000\n");
    EXPECT_EQ(config.externalDelivery, "imap_append");
    EXPECT_EQ(config.imapAppendUrl, "imaps://imap.example.org/Faxes");
    EXPECT_EQ(config.imapAppendLogin, "{email}*faxgate");
    EXPECT_EQ(config.imapAppendPassword, "master-secret");
    EXPECT_FALSE(config.imapAppendVerifyCertificate);
    EXPECT_EQ(config.imapAppendTimeoutMs, 5000);
    EXPECT_EQ(config.outboxFirstRetryDelayMs, 500);
    EXPECT_EQ(config.outboxMaxRetryDelayMs, 2000);
}

TEST_F(GatewayConfigTest, InconsistentExternalDeliveryIsRefusedNamingTheKey) {
    EXPECT_THAT(errorOf("[inbound]\nexternal_delivery = lmtp\n"),
                HasSubstr("inbound.external_delivery: 'lmtp' is not smtp or imap_append"));
    EXPECT_THAT(errorOf("[inbound]\nexternal_delivery = imap_append\n"),
                HasSubstr("inbound.external_delivery: imap_append needs imap_append.url"));
    EXPECT_THAT(errorOf("[imap_append]\nurl = imap://imap.example.org\n"),
                HasSubstr("imap_append.password:"));
    EXPECT_THAT(errorOf("[imap_append]\nurl = imap://imap.example.org\npassword = a\n"
                        "password_file = /nonexistent\n"),
                HasSubstr("imap_append.password_file: set password or password_file"));
    EXPECT_THAT(errorOf("[imap_append]\nurl = imap://imap.example.org\n"
                        "password_file = /nonexistent/secret\n"),
                HasSubstr("imap_append.password_file: cannot read"));
    EXPECT_THAT(errorOf("[outbox]\nfirst_retry_delay_ms = 5000\nmax_retry_delay_ms = 1000\n"),
                HasSubstr("outbox.max_retry_delay_ms"));
}

}  // namespace
}  // namespace faxgate::gateway
