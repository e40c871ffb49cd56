// Node configuration: defaults, and validation errors that name the key.
#include "faxnode/node_config.h"

#include <Poco/AutoPtr.h>
#include <Poco/Util/IniFileConfiguration.h>
#include <gtest/gtest.h>

#include <sstream>
#include <utility>
#include <vector>

namespace faxgate::node {
namespace {

const char* kMinimal =
    "[node]\nid = node-1\nspool_dir = /tmp/spool\n"
    "[gateway]\nsecret = s3cret-node-1\n"
    "[line.sim-1]\ndriver = sim\n";

NodeConfig parse(const std::string& text) {
    std::istringstream in(text);
    Poco::AutoPtr<Poco::Util::IniFileConfiguration> ini(new Poco::Util::IniFileConfiguration(in));
    return parseNodeConfig(*ini);
}

// The error message of parsing `text`, or "" if it parsed.
std::string errorOf(const std::string& text) {
    try {
        parse(text);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST(NodeConfigTest, DefaultsOfAMinimalFile) {
    NodeConfig config = parse(kMinimal);
    EXPECT_EQ(config.nodeId, "node-1");
    EXPECT_EQ(config.listenAddress, "127.0.0.1");
    EXPECT_EQ(config.port, 8081);
    EXPECT_EQ(config.maxRequestBytes, 64LL * 1024 * 1024);
    EXPECT_EQ(config.gatewayUrl, "http://127.0.0.1:8080");
    EXPECT_EQ(config.heartbeatIntervalMs, 2000);
    EXPECT_EQ(config.retryMaxMs, 30000);
    ASSERT_EQ(config.settings.lines.size(), 1u);
    EXPECT_EQ(config.settings.lines[0].id, "sim-1");
    EXPECT_EQ(config.settings.lines[0].maxBitRate, 14400);
    EXPECT_TRUE(config.settings.lines[0].ecm);
    EXPECT_EQ(config.settings.lines[0].sim.dialMs, 1000);
    EXPECT_EQ(config.settings.lines[0].sim.pageMs, 3000);
    EXPECT_EQ(effectivePublicUrl(config, 8081), "http://127.0.0.1:8081");
}

TEST(NodeConfigTest, ReadsEveryLineKey) {
    NodeConfig config = parse(std::string(kMinimal) +
                              "number = 0312345678\nstation_id = +81 3 1234 5678\n"
                              "header = ACME\nmax_bit_rate = 9600\necm = false\n"
                              "resolution = superfine\ndial_prefix = 0\nconcurrency = 4\n"
                              "sim.dial_ms = 5\nsim.page_ms = 6\nsim.busy = ^0399.*\n"
                              "sim.no_answer = ^0398.*\nsim.no_carrier = ^0396.*\n"
                              "sim.fail = ^0397.*\nsim.fail_after_pages = 2\n"
                              "sim.remote_csid = +1 555\n"
                              "[line.sim-0]\ndriver = sim\n");
    ASSERT_EQ(config.settings.lines.size(), 2u);
    EXPECT_EQ(config.settings.lines[0].id, "sim-0");  // sorted by ID
    const settings::LineSettings& line = config.settings.lines[1];
    EXPECT_EQ(line.stationId, "+81 3 1234 5678");
    EXPECT_EQ(line.maxBitRate, 9600);
    EXPECT_FALSE(line.ecm);
    EXPECT_EQ(line.resolution, "superfine");
    EXPECT_EQ(line.dialPrefix, "0");
    EXPECT_EQ(line.concurrency, 4);
    EXPECT_EQ(line.sim.dialMs, 5);
    EXPECT_EQ(line.sim.busyPattern, "^0399.*");
    EXPECT_EQ(line.sim.failAfterPages, 2);
    EXPECT_EQ(line.sim.remoteCsid, "+1 555");
}

TEST(NodeConfigTest, ErrorsNameTheKey) {
    EXPECT_NE(errorOf("[gateway]\nsecret = x\n[line.a]\n").find("[node] id: required"),
              std::string::npos);
    EXPECT_NE(errorOf("[node]\nid = n\nspool_dir = /s\n[line.a]\n").find("[gateway] secret"),
              std::string::npos);
    EXPECT_NE(errorOf(std::string(kMinimal) + "[node]\nport = 99999\n").find("[node] port"),
              std::string::npos);
    EXPECT_NE(errorOf(std::string(kMinimal) + "[gateway]\nheartbeat_interval_ms = fast\n")
                  .find("[gateway] heartbeat_interval_ms: expected an integer"),
              std::string::npos);
    EXPECT_NE(errorOf(std::string(kMinimal) + "sim.busy = ([\n").find("[line.sim-1] sim.busy"),
              std::string::npos);
    EXPECT_NE(errorOf(std::string(kMinimal) + "ecm = maybe\n").find("[line.sim-1] ecm"),
              std::string::npos);
    EXPECT_NE(
        errorOf(std::string(kMinimal) + "max_bit_rate = 10000\n").find("[line.sim-1] max_bit_rate"),
        std::string::npos);
    EXPECT_NE(errorOf(std::string(kMinimal) + "driver = sip\n").find("[line.sim-1] driver"),
              std::string::npos);
    EXPECT_NE(errorOf(std::string(kMinimal) + "[gateway]\nurl = ftp://x\n").find("[gateway] url"),
              std::string::npos);
    EXPECT_NE(errorOf(std::string(kMinimal) + "[node]\nlisten_address = localhost\n")
                  .find("[node] listen_address"),
              std::string::npos);
    EXPECT_NE(errorOf(std::string(kMinimal) + "[node]\nid = no spaces\n").find("[node] id"),
              std::string::npos);
}

TEST(NodeConfigTest, CentralSettingsPartIsASettingsDocument) {
    NodeConfig config = parse(std::string(kMinimal) + "[node]\ntime_zone = Asia/Tokyo\n");
    EXPECT_EQ(config.settings.nodeId, "node-1");
    EXPECT_EQ(config.settings.version, 0);
    EXPECT_EQ(config.settings.timeZone, "Asia/Tokyo");
    EXPECT_EQ(config.settings.secret, "s3cret-node-1");
    EXPECT_FALSE(config.settings.url);  // the gateway's
    EXPECT_EQ(parse(kMinimal).settings.timeZone, "UTC");
    EXPECT_EQ(parse(kMinimal).settings.lines[0].concurrency, 1);
    EXPECT_NO_THROW(settings::validateNodeSettings(config.settings));
}

TEST(NodeConfigTest, LineKeysAreCheckedLikeTheSettingsDocument) {
    // {text appended to the minimal file, expected part of the error}
    std::vector<std::pair<std::string, std::string>> cases = {
        {"concurrency = 0\n", "[line.sim-1] concurrency: expected an integer 1..256, got 0"},
        {"concurrency = many\n", "[line.sim-1] concurrency: expected an integer, got \"many\""},
        {"resolution = high\n", "[line.sim-1] resolution: expected one of standard, fine"},
        {"dial_prefix = 9a\n", "[line.sim-1] dial_prefix: expected at most 16"},
        {"header = " + std::string(51, 'x') + "\n", "[line.sim-1] header: expected at most 50"},
        {"sim.page_ms = fast\n", "[line.sim-1] sim.page_ms: expected an integer, got \"fast\""},
        {"sim.page_ms = 600001\n", "[line.sim-1] sim.page_ms: expected an integer 0..600000"},
        {"[node]\ntime_zone = Mars/Olympus\n", "[node] time_zone: expected an IANA time zone"},
        {"[gateway]\nsecret = short\n", "[gateway] secret: expected 8..256 printable ASCII"},
    };
    for (const auto& [text, expected] : cases) {
        std::string error = errorOf(std::string(kMinimal) + text);
        EXPECT_NE(error.find(expected), std::string::npos) << text << " -> " << error;
    }
}

TEST(NodeConfigTest, UnknownKeysAndSectionsAreErrors) {
    EXPECT_NE(errorOf(std::string(kMinimal) + "sim.dail_ms = 5\n")
                  .find("[line.sim-1] sim.dail_ms: unknown key"),
              std::string::npos);
    EXPECT_NE(errorOf(std::string(kMinimal) + "[gateway]\nsecrte = x\n").find("[gateway] secrte"),
              std::string::npos);
    EXPECT_NE(errorOf(std::string(kMinimal) + "[lines]\nx = 1\n").find("[lines]"),
              std::string::npos);
}

TEST(NodeConfigTest, NeedsAtLeastOneLine) {
    EXPECT_NE(errorOf("[node]\nid = n\nspool_dir = /s\n[gateway]\nsecret = x\n").find("no line"),
              std::string::npos);
}

TEST(NodeConfigTest, WildcardListenAddressNeedsAPublicUrl) {
    std::string text = std::string(kMinimal) + "[node]\nlisten_address = 0.0.0.0\n";
    EXPECT_NE(errorOf(text).find("[node] public_url"), std::string::npos);
    NodeConfig config = parse(text + "public_url = http://fax1.example:8081/\n");
    EXPECT_EQ(effectivePublicUrl(config, 8081), "http://fax1.example:8081");
}

TEST(NodeConfigTest, Ipv6PublicUrlHasBrackets) {
    NodeConfig config = parse(std::string(kMinimal) + "[node]\nlisten_address = ::1\nport = 0\n");
    EXPECT_EQ(effectivePublicUrl(config, 40000), "http://[::1]:40000");
}

TEST(NodeConfigTest, LoadNamesAMissingFile) {
    try {
        loadNodeConfig("/nonexistent/node.ini");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/node.ini"), std::string::npos);
    }
}

TEST(NodeConfigTest, SampleConfigsAreValid) {
    for (const char* name : {"node-1.ini", "node-2.ini"}) {
        NodeConfig config = loadNodeConfig(std::string(FAXGATE_SOURCE_DIR) + "/contrib/" + name);
        EXPECT_EQ(config.settings.lines.size(), 2u) << name;
        EXPECT_EQ(config.settings.lines[0].sim.busyPattern, "^0399.*") << name;
    }
}

TEST(NodeConfigTest, SimExchangeDirNeedsTheLinesNumber) {
    EXPECT_TRUE(parse(kMinimal).settings.lines[0].sim.exchangeDir.empty());
    NodeConfig config =
        parse(std::string(kMinimal) + "number = +81312345001\nsim.exchange_dir = /tmp/exchange\n");
    EXPECT_EQ(config.settings.lines[0].sim.exchangeDir, "/tmp/exchange");
    std::string error = errorOf(std::string(kMinimal) + "sim.exchange_dir = /tmp/exchange\n");
    EXPECT_NE(error.find("[line.sim-1] sim.exchange_dir: needs the line's number"),
              std::string::npos)
        << error;
    error = errorOf(std::string(kMinimal) + "number = 03-1234\nsim.exchange_dir = /tmp/x\n");
    EXPECT_NE(error.find("[line.sim-1] number:"), std::string::npos) << error;
}

}  // namespace
}  // namespace faxgate::node
